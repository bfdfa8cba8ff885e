"""The hub's domain: namespaces → repositories → tags → manifests → blobs.

Blobs are content-addressed and shared: one row (and one file) per digest, linked to each
repository that may serve it. Manifests belong to a repository and keep their exact bytes.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

LIBRARY = "library"


class Namespace(models.Model):
    """Where repositories live: a user's own (``alice``), an organization's (``acme``), the
    official ``library``, or a pull-through cache's (``dockerhub``, ``proxy.Upstream``). One name
    space for all: no user, organization or cache share a name."""

    class Kind(models.TextChoices):
        USER = "user", "User"
        LIBRARY = "library", "Official"
        ORG = "org", "Organization"
        PROXY = "proxy", "Pull-through cache"

    name = models.CharField(max_length=30, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.USER)
    # An organization's display name ("Acme Corp."); users carry theirs on the account.
    full_name = models.CharField(max_length=100, blank=True)
    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="namespace",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["library", "org", "proxy"], owner__isnull=True)
                | Q(kind="user", owner__isnull=False),
                name="hub_namespace_owner_matches_kind",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_official(self) -> bool:
        return self.kind == self.Kind.LIBRARY

    @property
    def is_org(self) -> bool:
        return self.kind == self.Kind.ORG

    @property
    def is_proxy(self) -> bool:
        return self.kind == self.Kind.PROXY


class RepositoryQuerySet(models.QuerySet):
    def official(self):
        return self.filter(namespace__kind=Namespace.Kind.LIBRARY)

    def visible_to(self, actor):
        """Repositories ``actor`` (a user, a robot, a token's holder, None) may see and pull."""
        from hub.permissions import repositories_visible

        return repositories_visible(actor, self)

    def with_access(self, actor):
        """Each repository with ``access_level``: what ``actor`` may do to it (0–3), no extra
        query when it is read (``hub.permissions.repository_access`` uses it)."""
        from hub.permissions import repositories_with_access

        return repositories_with_access(actor, self)


class Repository(models.Model):
    namespace = models.ForeignKey(Namespace, on_delete=models.CASCADE, related_name="repositories")
    # The path after the namespace; may itself hold slashes (``alice/tools/lint``).
    name = models.CharField(max_length=200)
    description = models.CharField(max_length=100, blank=True)
    full_description = models.TextField(blank=True)
    is_private = models.BooleanField(default=False)
    is_automated = models.BooleanField(default=False)
    star_count = models.PositiveIntegerField(default=0)
    pull_count = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # "namespace/name description", lowercased: what search matches against. Kept by the
    # services that write those fields; on PostgreSQL a trigram index makes LIKE '%word%' fast.
    search_text = models.TextField(blank=True, default="")

    objects = RepositoryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "repositories"
        constraints = [
            models.UniqueConstraint(fields=["namespace", "name"], name="hub_repository_unique_name")
        ]
        indexes = [
            models.Index(fields=["-star_count"], name="hub_repo_stars_idx"),
            models.Index(fields=["-pull_count"], name="hub_repo_pulls_idx"),
            models.Index(fields=["-updated_at"], name="hub_repo_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.namespace.name}/{self.name}"

    @property
    def is_official(self) -> bool:
        return self.namespace.is_official

    @property
    def display_name(self) -> str:
        """Official images go by their short name, as on Docker Hub (``busybox``)."""
        return self.name if self.is_official else self.full_name

    def compute_search_text(self) -> str:
        return f"{self.namespace.name}/{self.name} {self.description}".lower()


class Blob(models.Model):
    digest = models.CharField(max_length=150, unique=True)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    # Bumped whenever a push uploads or mounts the blob: garbage collection spares blobs touched
    # within its grace period, which covers pushes whose manifest has not arrived yet.
    last_linked_at = models.DateTimeField(default=timezone.now, db_index=True)
    # A layer's size unpacked, as `docker history` shows it (the sum of its tar entries' sizes,
    # hub/registry/layersize.py), measured after the push; null until then, and for blobs that
    # are no tar layer (configs, zstd, artifacts).
    unpacked_size = models.PositiveBigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return self.digest


class RepositoryBlob(models.Model):
    """A repository may serve a blob only through such a link."""

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="blob_links")
    blob = models.ForeignKey(Blob, on_delete=models.CASCADE, related_name="repository_links")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repository", "blob"], name="hub_repoblob_unique")
        ]

    def __str__(self) -> str:
        return f"{self.repository_id} has {self.blob_id}"


class Manifest(models.Model):
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="manifests")
    digest = models.CharField(max_length=150)
    media_type = models.CharField(max_length=255)
    content = models.BinaryField()  # the exact bytes pushed: their digest is the manifest's
    size = models.PositiveIntegerField()
    artifact_type = models.CharField(max_length=255, blank=True)
    config_digest = models.CharField(max_length=150, blank=True)
    subject_digest = models.CharField(max_length=150, blank=True, db_index=True)
    # Parsed from the image config, for listings; empty for indexes and artifacts.
    os = models.CharField(max_length=40, blank=True)
    architecture = models.CharField(max_length=40, blank=True)
    variant = models.CharField(max_length=40, blank=True)
    # Total of config and layer sizes (image), or of the children's (index).
    total_size = models.PositiveBigIntegerField(default=0)
    annotations = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    blobs = models.ManyToManyField(Blob, related_name="manifests", through="ManifestBlob")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repository", "digest"], name="hub_manifest_unique")
        ]

    def __str__(self) -> str:
        return f"{self.repository_id}@{self.digest}"

    @property
    def is_index(self) -> bool:
        from hub.registry import mediatypes

        return self.media_type in mediatypes.INDEX_TYPES


class ManifestBlob(models.Model):
    """A blob (config or layer) a manifest references: what garbage collection must keep."""

    manifest = models.ForeignKey(Manifest, on_delete=models.CASCADE)
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["manifest", "blob"], name="hub_manifestblob_unique")
        ]

    def __str__(self) -> str:
        return f"{self.manifest_id} uses {self.blob_id}"


class ManifestChild(models.Model):
    """An index's entry: the child manifest (same repository) it lists, with its platform."""

    parent = models.ForeignKey(Manifest, on_delete=models.CASCADE, related_name="children")
    child = models.ForeignKey(Manifest, on_delete=models.PROTECT, related_name="parents")
    os = models.CharField(max_length=40, blank=True)
    architecture = models.CharField(max_length=40, blank=True)
    variant = models.CharField(max_length=40, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["parent", "child"], name="hub_manifestchild_unique")
        ]

    def __str__(self) -> str:
        return f"{self.parent_id} lists {self.child_id}"


class Tag(models.Model):
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=128)
    manifest = models.ForeignKey(Manifest, on_delete=models.CASCADE, related_name="tags")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repository", "name"], name="hub_tag_unique")
        ]
        # The Tags tab's default order (newest first): a page of 25 out of thousands is read
        # off this index instead of sorting every tag of the repository (2.1 → 0.5 ms at 5,000).
        indexes = [
            models.Index(fields=["repository", "-updated_at", "name"], name="hub_tag_recent")
        ]

    def __str__(self) -> str:
        return f"{self.repository}:{self.name}"


class Upload(models.Model):
    """A blob upload session; its bytes so far sit in the blob store (a file named after
    ``uuid``, or S3 parts and a tail object), found again from this row by any process."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="uploads")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The sha256 of the first ``hashed_size`` bytes, written by the process that appended them:
    # the process that completes the upload (another one, behind several web workers) then
    # need not hash the file again when nothing was appended since.
    hashed_size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    # The same sha256 as a state to resume (hub/registry/hashstate.py): a chunk landing on
    # another process goes on hashing where the last one stopped, instead of re-hashing all.
    hash_state = models.BinaryField(null=True, blank=True)
    # Bytes received so far, and the blob store's own notes on where they are (S3: multipart
    # UploadId, parts' ETags and sizes, the tail object's ETag; hub/registry/storage/s3.py).
    size = models.PositiveBigIntegerField(default=0)
    store_state = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return str(self.uuid)


class Star(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stars"
    )
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="stars")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "repository"], name="hub_star_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ★ {self.repository_id}"
