"""Upstream registries Wharf pulls through, and what it remembers about the cached content.

Each upstream owns one namespace of kind ``proxy`` (``dockerhub``): its repositories are the
cache, ordinary hub repositories filled by pulls (``HOST/dockerhub/library/nginx`` is upstream's
``library/nginx``). The upstream's password is stored encrypted (``hub.crypto``) and never
leaves Wharf except towards that upstream.
"""

from urllib.parse import urlsplit

from django.db import models
from django.db.models import Q
from django.utils import timezone

from hub import crypto


class Upstream(models.Model):
    class PullAccess(models.TextChoices):
        PUBLIC = "public", "Anyone, signed in or not"
        SIGNED_IN = "signed_in", "Anyone signed in"

    name = models.SlugField(max_length=40, unique=True)
    # scheme://host[:port], no path, query or userinfo; http or https (proxy.validation).
    url = models.URLField(max_length=255)
    username = models.CharField(max_length=150, blank=True)
    # hub.crypto.encrypt()ed; write-only everywhere (APIs and pages say only whether one is set).
    password_encrypted = models.TextField(blank=True)
    namespace = models.OneToOneField(
        "hub.Namespace", on_delete=models.PROTECT, related_name="upstream"
    )
    tls_verify = models.BooleanField(default=True)
    # The default mirror: /v2/library/… and unknown top-level names fall through to it.
    is_mirror = models.BooleanField(default=False)
    # Who may make Wharf fetch from it (what is cached already follows the repositories' rules).
    pull_access = models.CharField(
        max_length=10, choices=PullAccess.choices, default=PullAccess.SIGNED_IN
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_mirror"], condition=Q(is_mirror=True), name="proxy_one_mirror"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_password(self) -> bool:
        return bool(self.password_encrypted)

    @property
    def password(self) -> str:
        """The password in clear, for the request to the upstream only ("" when none is set).

        Raises ``hub.crypto.Unreadable`` when it was stored under another SECRET_KEY: pulling
        anonymously instead would fail later with a misleading 401, so callers say so (staff
        set the password again; the page shows that it is unreadable).
        """
        return crypto.decrypt(self.password_encrypted)

    @property
    def password_readable(self) -> bool:
        try:
            crypto.decrypt(self.password_encrypted)
        except crypto.Unreadable:
            return False
        return True

    @property
    def host(self) -> str:
        """``host[:port]`` of the URL as stored (``registry-1.docker.io``, ``127.0.0.1:5000``,
        ``[::1]:5000``): the port only when the URL names one."""
        return urlsplit(self.url).netloc


class TagCheck(models.Model):
    """When a cached tag was last confirmed against its upstream (WHARF_PROXY_TAG_TTL)."""

    repository = models.ForeignKey(
        "hub.Repository", on_delete=models.CASCADE, related_name="proxy_tag_checks"
    )
    name = models.CharField(max_length=128)
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repository", "name"], name="proxy_tagcheck_unique")
        ]

    def __str__(self) -> str:
        return f"{self.repository_id}:{self.name} at {self.checked_at:%Y-%m-%d %H:%M:%S}"


class CachedManifest(models.Model):
    """When a cached manifest was last pulled (eviction after WHARF_PROXY_RETENTION_DAYS)."""

    manifest = models.OneToOneField(
        "hub.Manifest", on_delete=models.CASCADE, related_name="proxy_cache"
    )
    pulled_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.manifest_id} pulled {self.pulled_at:%Y-%m-%d %H:%M:%S}"
