"""Automated builds: per-repository build rules, builds with an explicit state machine, their logs.

The database is the log: every output line is stored with a sequence number before it is
broadcast, so a browser that reconnects asks for what it missed and gets exactly that.
"""

import json
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from hub import crypto
from hub.models import Repository


def _trigger_secret() -> str:
    return secrets.token_urlsafe(24)


class BuildSettings(models.Model):
    """A repository's source and its trigger URL (``POST /api/build-triggers/<uuid>/``)."""

    repository = models.OneToOneField(
        Repository, on_delete=models.CASCADE, related_name="build_settings"
    )
    # Never with a password in it: builds.validation.split_credentials moves one out.
    source_url = models.CharField(max_length=500, blank=True)
    # Credentials for a private https source, sent only to the source URL's host. The token is
    # encrypted (hub.crypto) and never shown again.
    git_username = models.CharField(max_length=200, blank=True)
    git_token = models.TextField(blank=True)
    trigger_uuid = models.UUIDField(default=uuid.uuid4, unique=True)
    trigger_secret = models.CharField(max_length=64, default=_trigger_secret)
    # Who last chose what builds build (the source, its credentials, the rules): webhook builds
    # act for them, never for the namespace's owner, so no one with admin on one repository
    # builds with someone else's rights. Nobody (their account gone): own repository and public
    # images only.
    configured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "build settings"

    def __str__(self) -> str:
        return f"build settings of {self.repository_id}"

    @property
    def has_git_token(self) -> bool:
        return bool(self.git_token)


class BuildSecret(models.Model):
    """A secret build value: ``RUN --mount=type=secret,id=NAME`` reads it, nothing logs it."""

    repository = models.ForeignKey(
        Repository, on_delete=models.CASCADE, related_name="build_secrets"
    )
    name = models.CharField(max_length=64)
    value = models.TextField()  # encrypted (hub.crypto); write-only everywhere
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["repository", "name"], name="builds_secret_unique_name")
        ]

    def __str__(self) -> str:
        return f"secret {self.name} of {self.repository_id}"


class SourceType(models.TextChoices):
    BRANCH = "branch", "Branch"
    TAG = "tag", "Tag"


class BuildRule(models.Model):
    """Docker Hub's build rule: which refs build, into which tag, how."""

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="build_rules")
    source_type = models.CharField(max_length=10, choices=SourceType.choices, default="branch")
    # A name ("main") or a regex between slashes ("/^v([0-9.]+)$/").
    source = models.CharField(max_length=200, default="main")
    # A name or a template: latest, {sourceref}, {\1}, {short_sha}.
    docker_tag = models.CharField(max_length=128, default="latest")
    dockerfile = models.CharField(max_length=300, default="Dockerfile")
    context = models.CharField(max_length=300, default="/")
    build_args = models.JSONField(default=dict, blank=True)
    cache = models.BooleanField(default=True)
    autobuild = models.BooleanField(default=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.source_type} {self.source} → {self.docker_tag}"

    @property
    def is_regex(self) -> bool:
        return len(self.source) > 1 and self.source.startswith("/") and self.source.endswith("/")


class BuildQuerySet(models.QuerySet):
    def running(self):
        return self.filter(status__in=Build.RUNNING)

    def visible_to(self, user):
        return self.filter(repository__in=Repository.objects.visible_to(user))


class Build(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        CLONING = "cloning", "Cloning"
        BUILDING = "building", "Building"
        PUSHING = "pushing", "Pushing"
        SUCCESS = "success", "Success"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        TIMED_OUT = "timed_out", "Timed out"
        ERROR = "error", "Error"

    RUNNING = (Status.CLONING, Status.BUILDING, Status.PUSHING)
    FINAL = (Status.SUCCESS, Status.FAILED, Status.CANCELLED, Status.TIMED_OUT, Status.ERROR)

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="builds")
    rule = models.ForeignKey(BuildRule, null=True, blank=True, on_delete=models.SET_NULL)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    trigger = models.CharField(max_length=20, default="manual")  # manual, api, webhook
    source_url = models.CharField(max_length=500)  # without a password, as in BuildSettings
    # {"username", "password"} for the source's host, encrypted; empty for public sources.
    source_credential = models.TextField(blank=True)
    source_type = models.CharField(max_length=10, choices=SourceType.choices, default="branch")
    source_ref = models.CharField(max_length=200)
    commit_sha = models.CharField(max_length=64, blank=True)
    tags = models.JSONField(default=list)
    dockerfile = models.CharField(max_length=300, default="Dockerfile")
    context = models.CharField(max_length=300, default="/")
    build_args = models.JSONField(default=dict, blank=True)
    no_cache = models.BooleanField(default=False)

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    digest = models.CharField(max_length=150, blank=True)
    cancel_requested = models.BooleanField(default=False)
    # Why a cancel was asked for when it was not a person ("the worker stopped").
    cancel_reason = models.CharField(max_length=200, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    task_id = models.CharField(max_length=100, blank=True)
    # How often the task was sent to the broker: a lost one is sent once more, then given up.
    enqueue_attempts = models.PositiveSmallIntegerField(default=0)
    # The one registry credential of this build that works now (builds.credentials); empty
    # between phases and once the build has ended, which revokes it.
    credential_jti = models.CharField(max_length=64, blank=True)
    # Progress from the builder's "STEP n/m".
    step = models.PositiveIntegerField(default=0)
    steps = models.PositiveIntegerField(default=0)
    last_seq = models.PositiveIntegerField(default=0)

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    cloning_at = models.DateTimeField(null=True, blank=True)
    building_at = models.DateTimeField(null=True, blank=True)
    pushing_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    objects = BuildQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="builds_status_beat_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="success") | ~Q(digest=""), name="builds_success_has_digest"
            )
        ]

    def __str__(self) -> str:
        return f"build {self.pk} of {self.repository_id} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL

    @property
    def duration(self):
        if not self.started_at:
            return None
        return (self.finished_at or timezone.now()) - self.started_at

    def source_login(self) -> tuple[str, str] | None:
        """(username, password) for the source, or None (public, or unreadable after a change
        of SECRET_KEY: the clone then fails as for a public source)."""
        if not self.source_credential:
            return None
        try:
            data = json.loads(crypto.decrypt(self.source_credential))
        except (crypto.Unreadable, ValueError):
            return None
        return str(data.get("username", "")), str(data.get("password", ""))


class BuildLogLine(models.Model):
    build = models.ForeignKey(Build, on_delete=models.CASCADE, related_name="log_lines")
    seq = models.PositiveIntegerField()
    text = models.TextField()
    # Lines with server detail (full command lines with paths and build-arg values) are shown
    # only to those who may push; everyone else sees the public summary line next to each.
    private = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["seq"]
        constraints = [
            models.UniqueConstraint(fields=["build", "seq"], name="builds_logline_unique_seq")
        ]

    def __str__(self) -> str:
        return f"{self.build_id}#{self.seq}"
