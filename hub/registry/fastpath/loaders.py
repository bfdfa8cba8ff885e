"""What the read path loads from the database on a cache miss. Sync code, run in a thread.

Each loader answers None when Django must answer instead: the registry's views then say why
(401, 404, …) exactly as they always have.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from hub.models import Blob, Manifest, ManifestChild, Namespace, Repository, Tag
from hub.registry import access, digests, tokens, uploads
from hub.registry.errors import RegistryError
from hub.registry.manifests import is_digest


@dataclass(frozen=True)
class Rights:
    """What a credential may do to one repository now, for ``ttl`` seconds at most."""

    repository_id: int | None
    push: bool  # a pusher's blob HEAD refreshes the blob for gc: Django answers it
    ttl: float
    # A pull-through cache's repository: Django answers its manifests (a tag is re-checked
    # upstream, a pull is noted for eviction) and the blobs it does not hold yet.
    proxied: bool = False


@dataclass(frozen=True)
class StoredManifest:
    digest: str
    media_type: str
    content: bytes
    platform_child: bool  # fetched by digest through its index: not another pull


def _closing_on_error(loader):
    """A failed query leaves this thread's connection closed, so the next one reconnects."""

    def run(*args):
        try:
            return loader(*args)
        except Exception:
            connection.close()
            raise

    return run


def _until(ttl: float, expires_at) -> float:
    """``ttl``, cut short so a cached answer ends when the credential does: expiry is a time, not
    a change, so no epoch is bumped when it passes."""
    if expires_at is None:
        return ttl
    return min(ttl, (expires_at - timezone.now()).total_seconds())


def _expires_at(caller: access.Caller):
    """When the caller's credential (a robot, a personal access token) expires; None: never."""
    if caller.actor.robot is not None:
        return caller.actor.robot.expires_at
    return caller.token.expires_at if caller.token is not None else None


@_closing_on_error
def rights(grant: tokens.Grant | None, full_name: str | None) -> Rights | None:
    """The pull rights of a bearer token (None: anonymous) on ``full_name``; with no name, that
    the token's account is alive (``GET /v2/``)."""
    if grant is None and full_name is None:
        return None  # an anonymous probe is challenged
    try:
        caller = access.caller_for_grant(grant) if grant is not None else access.Caller()
    except RegistryError:
        return None
    ttl = _until(float(settings.WHARF_REGISTRY_CACHE_SECONDS), _expires_at(caller))
    if full_name is None:
        return Rights(None, False, ttl)
    if not caller.can(full_name, "pull"):
        return None
    repo = caller.repository(full_name)
    if repo is None:
        return None
    proxied = repo.namespace.kind == Namespace.Kind.PROXY
    return Rights(repo.pk, caller.can(full_name, "push"), ttl, proxied)


@_closing_on_error
def manifest(repository_id: int, reference: str) -> StoredManifest | None:
    if is_digest(reference):
        try:
            digests.parse(reference)
        except RegistryError:
            return None
        found = Manifest.objects.filter(repository_id=repository_id, digest=reference).first()
        child = found is not None and ManifestChild.objects.filter(child=found).exists()
    else:
        tag = (
            Tag.objects.select_related("manifest")
            .filter(repository_id=repository_id, name=reference)
            .first()
        )
        found, child = (tag.manifest if tag else None), False
    if found is None:
        return None
    return StoredManifest(found.digest, found.media_type, bytes(found.content), child)


@_closing_on_error
def blob_size(repository_id: int, digest: str) -> int | None:
    """The size of a blob the repository may serve, None when it may not."""
    return (
        Blob.objects.filter(digest=digest, repository_links__repository_id=repository_id)
        .values_list("size", flat=True)
        .first()
    )


@_closing_on_error
def blob_touch(repository_id: int, digest: str) -> int | None:
    """A pusher's check: the blob's size, marked as just used, or None (unknown, or collected
    meanwhile) — as ``hub.registry.uploads.blob_touch`` does for the views."""
    found = (
        Blob.objects.filter(digest=digest, repository_links__repository_id=repository_id)
        .values_list("pk", "size")
        .first()
    )
    if found is None:
        return None
    touched = Blob.objects.filter(pk=found[0]).update(last_linked_at=timezone.now())
    return found[1] if touched else None


@_closing_on_error
def upload_start(repository_id: int) -> str:
    """A new upload session in the repository; its uuid."""
    return str(uploads.upload_start(repository=Repository(pk=repository_id)).uuid)


@dataclass(frozen=True)
class Credential:
    """Who a personal access token or robot secret stands for, as the token endpoint needs."""

    subject: str
    actor: object  # hub.permissions.Actor
    pat: str  # the access token's uuid, "" for a robot
    robot: int  # the robot's id, 0 for a person
    ttl: float  # how long it may be cached: last-used times are kept to the minute


def _credential_ttl(expires_at=None) -> float:
    return _until(min(float(settings.WHARF_REGISTRY_CACHE_SECONDS), 60.0), expires_at)


@_closing_on_error
def credential(username: str, secret: str) -> Credential | None:
    """The live access token or robot behind Basic credentials; None for anything else
    (passwords, wrong secrets: Django checks those and counts the failure)."""
    from accounts.models import AccessToken
    from accounts.services import access_token_authenticate
    from hub import permissions
    from orgs.models import Robot
    from orgs.robots import robot_authenticate

    if secret.startswith(AccessToken.PREFIX):
        token = access_token_authenticate(raw=secret)
        if token is None or token.user.username != username:
            return None
        actor = permissions.as_actor(token.user, token)
        return Credential(username, actor, str(token.uuid), 0, _credential_ttl(token.expires_at))
    if secret.startswith(Robot.PREFIX):
        robot = robot_authenticate(raw=secret)
        if robot is None or robot.user.username != username:
            return None
        actor = permissions.as_actor(robot.user)
        return Credential(username, actor, "", robot.pk, _credential_ttl(robot.expires_at))
    return None


@_closing_on_error
def repository_actions(actor, full_name: str) -> frozenset[str]:
    """What ``actor`` may do to ``full_name`` now (raises NameInvalid for a malformed name)."""
    return access.allowed_actions(actor, full_name)
