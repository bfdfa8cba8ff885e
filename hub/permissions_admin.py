"""Who runs a namespace, a repository or the site as a whole: the permission questions of what
concerns all of something (audit logs, a namespace's webhooks, the pull-through cache's
upstreams), built on the repository and organization rules of ``hub.permissions``, the one
place those are decided. Split from it by concept; nothing here decides a repository level.
"""

from dataclasses import dataclass

from hub.models import Namespace, Repository
from hub.permissions import (
    ADMIN,
    as_actor,
    organization_access,
    organization_role,
    repository_level,
)

# --- audit logs: what only a namespace's or a repository's admins read ---


def namespace_administered(actor, namespace: Namespace | None, namespace_name: str = "") -> bool:
    """Whether ``actor`` runs ``namespace`` as a whole, and so reads what concerns all of it
    (its audit log): a user their own, an organization its owners, staff every one.

    ``namespace`` is None for an account that has no repositories yet (``namespace_name`` is
    its name). Reading only: any token of theirs reads it (as ``OrgAccess`` owners' reads do);
    robots never. Editors administer every repository of an organization, not the organization.
    """
    actor = as_actor(actor)
    if actor.is_anonymous or actor.robot is not None or not actor.allows("read"):
        return False
    if actor.is_staff:
        return True
    if namespace is None:
        return namespace_name == actor.user.username
    if namespace.kind == Namespace.Kind.USER:
        return namespace.owner_id == actor.user.pk
    return organization_role(actor.user, namespace) == "owner"


def repository_administered(actor, repository: Repository) -> bool:
    """Whether ``actor`` holds admin on ``repository``, to read what only its admins see (its
    audit log). Reading only: unlike ``repository_access(...).admin``, a read-only token of an
    admin reads it too; changing anything still asks ``repository_access``."""
    actor = as_actor(actor)
    return actor.allows("read") and repository_level(actor, repository) >= ADMIN


def upstreams_administered(actor) -> bool:
    """Whether ``actor`` may see and change the pull-through cache's upstream registries (and
    so decide where Wharf sends requests, with which credentials): staff only, never robots.
    A token's scope still narrows what they may do with it (the API's TokenScopeAllows)."""
    return as_actor(actor).is_staff


@dataclass(frozen=True)
class NamespaceAccess:
    """What an actor may do with a namespace's own settings (webhooks for all its
    repositories): ``see`` that they exist (others get a 404), ``admin`` change them."""

    see: bool = False
    admin: bool = False


def namespace_access(
    actor, namespace: Namespace | None, namespace_name: str = ""
) -> NamespaceAccess:
    """Those who run the namespace (``namespace_administered``) change its settings with a
    token that writes; an organization's other members see that they exist (a 403 with a
    message), everyone else does not (a 404)."""
    actor = as_actor(actor)
    runs = namespace_administered(actor, namespace, namespace_name)
    member = runs or bool(
        namespace is not None and namespace.is_org and organization_access(actor, namespace).member
    )
    return NamespaceAccess(see=member, admin=runs and actor.allows("write"))
