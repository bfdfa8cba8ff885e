"""Helpers the API's views share: lookups with visibility, owner checks, service errors."""

from django.db.models import BooleanField, Exists, OuterRef, QuerySet, Value
from rest_framework import exceptions

from accounts.models import User
from hub.models import Namespace, Repository, Star
from hub.permissions import actor_from_request, repository_access
from hub.selectors import repository_get_visible, repository_has_starred
from hub.services import RepositoryError

# Repository names in API paths: one segment. Nested names (alice/tools/lint) are rare enough
# that the web pages and the registry serve them, not these URLs.
NAMESPACE_PATTERN = r"[a-z0-9._-]+"
NAME_PATTERN = r"[a-z0-9._-]+"
TAG_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}"
USERNAME_PATTERN = r"[a-z0-9]+"

NOT_WRITER = "Only those who may push to this repository can do this."
NOT_ADMIN = "Only the repository's admins (its owner, admin teams and collaborators) can do this."


def repository_visible(request, namespace: str, name: str) -> Repository:
    """The repository if the caller may see it; 404 (never 403) otherwise."""
    return repository_get_visible(user=actor_from_request(request), namespace=namespace, name=name)


def repository_needing(request, namespace: str, name: str, right: str, message: str):
    """The repository if the caller has ``right`` (read, write or admin) on it: 404 if they
    cannot see it, 401 when anonymous, 403 with ``message`` otherwise."""
    repository = repository_visible(request, namespace, name)
    if not request.user.is_authenticated:
        raise exceptions.NotAuthenticated()
    if not getattr(repository_access(actor_from_request(request), repository), right):
        raise exceptions.PermissionDenied(message)
    return repository


def repository_for_admin(request, namespace: str, name: str) -> Repository:
    """The repository if the caller may change its settings."""
    return repository_needing(request, namespace, name, "admin", NOT_ADMIN)


def repository_for_writer(request, namespace: str, name: str) -> Repository:
    """The repository if the caller may push to it and manage its tags."""
    return repository_needing(request, namespace, name, "write", NOT_WRITER)


def with_has_starred(repositories: QuerySet[Repository], user) -> QuerySet[Repository]:
    """Annotate ``has_starred`` for ``user`` in the same query (no query per row)."""
    if user is None or not user.is_authenticated:
        return repositories.annotate(has_starred=Value(False, output_field=BooleanField()))
    stars = Star.objects.filter(user=user, repository=OuterRef("pk"))
    return repositories.annotate(has_starred=Exists(stars))


def set_has_starred(repository: Repository, user) -> Repository:
    repository.has_starred = repository_has_starred(user=user, repository=repository)
    return repository


NAMESPACE_ORDERINGS = {
    "last_updated": ["updated_at", "name"],
    "-last_updated": ["-updated_at", "name"],
    "name": ["name"],
    "-name": ["-name"],
    "star_count": ["star_count", "name"],
    "-star_count": ["-star_count", "name"],
    "pull_count": ["pull_count", "name"],
    "-pull_count": ["-pull_count", "name"],
}


def namespace_get(name: str) -> Namespace | None:
    """The namespace; None for an account that has no repositories yet; 404 for neither."""
    namespace = Namespace.objects.filter(name=name).first()
    if namespace is None and not User.objects.filter(username=name).exists():
        raise exceptions.NotFound(f"No namespace {name!r}.")
    return namespace


def namespace_repositories(
    *, namespace: Namespace | None, viewer, ordering: str = "-last_updated"
) -> QuerySet[Repository]:
    """A namespace's repositories that ``viewer`` may see, with ``has_starred`` for them.

    (A selector in spirit; kept here until hub.selectors grows one.)
    """
    if namespace is None:
        return Repository.objects.none()
    repositories = (
        Repository.objects.visible_to(viewer)
        .with_access(viewer)
        .filter(namespace=namespace)
        .select_related("namespace")
        .order_by(*NAMESPACE_ORDERINGS.get(ordering, NAMESPACE_ORDERINGS["-last_updated"]))
    )
    return with_has_starred(repositories, viewer)


def validation_error(error: RepositoryError) -> exceptions.ValidationError:
    """A service's refusal as DRF's 400 body: ``{field: [message]}``."""
    if error.field:
        return exceptions.ValidationError({error.field: [error.message]})
    return exceptions.ValidationError({"detail": error.message})
