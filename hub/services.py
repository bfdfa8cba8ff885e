"""Writes on namespaces and repositories. Pages, the API and the registry all call these."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from hub.events import event_record
from hub.models import LIBRARY, Namespace, Repository


def namespace_library() -> Namespace:
    namespace, _ = Namespace.objects.get_or_create(
        name=LIBRARY, defaults={"kind": Namespace.Kind.LIBRARY}
    )
    return namespace


def namespace_for_user(*, user: User) -> Namespace:
    """The user's own namespace, created the first time it is needed."""
    try:
        return user.namespace
    except Namespace.DoesNotExist:
        pass
    try:
        with transaction.atomic():
            return Namespace.objects.create(name=user.username, owner=user)
    except IntegrityError:  # made in parallel; never an organization's of the same name
        return Namespace.objects.get(name=user.username, owner=user)


def repository_get_or_create(*, namespace: str, name: str, user: User | None = None) -> Repository:
    """The repository to push into; a first push creates it (WHARF_DEFAULT_VISIBILITY).

    Callers have already checked that ``user`` may push there (or are management commands).
    """
    repo = (
        Repository.objects.select_related("namespace")
        .filter(namespace__name=namespace, name=name)
        .first()
    )
    if repo is not None:
        return repo
    if namespace == LIBRARY:
        ns = namespace_library()
    else:
        ns = Namespace.objects.filter(name=namespace).first()
        if ns is None:
            owner = user if user is not None and user.username == namespace else None
            owner = owner or User.objects.get(username=namespace)
            ns = namespace_for_user(user=owner)
    repo = Repository(
        namespace=ns, name=name, is_private=settings.WHARF_DEFAULT_VISIBILITY == "private"
    )
    repo.search_text = repo.compute_search_text()
    try:
        with transaction.atomic():
            repo.save()
            _created(repo)
            return repo
    except IntegrityError:  # a parallel push created it first
        return Repository.objects.select_related("namespace").get(namespace=ns, name=name)


def _created(repository: Repository) -> None:
    event_record(
        action="repository.created",
        repository=repository,
        data={"is_private": repository.is_private},
    )


def repository_touch(*, repository: Repository) -> None:
    Repository.objects.filter(pk=repository.pk).update(updated_at=timezone.now())


# --- repositories from the hub's pages and API ---


class RepositoryError(Exception):
    """A repository write refused with a message for the person (field: which input)."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field


def repository_namespaces_for(*, user: User) -> list[str]:
    """Namespaces ``user`` may create repositories in (``hub.permissions`` decides)."""
    from hub.permissions import creatable_namespaces

    return creatable_namespaces(user)


def repository_create(
    *,
    user: User,
    namespace: str,
    name: str,
    description: str = "",
    full_description: str = "",
    is_private: bool = False,
) -> Repository:
    from hub.registry import names as registry_names
    from hub.registry.errors import NameInvalid

    if namespace not in repository_namespaces_for(user=user):
        raise RepositoryError(
            "You can create repositories only in your own namespace, in organizations where "
            "you are an owner or editor" + (", or in library." if user.is_staff else "."),
            field="namespace",
        )
    try:
        registry_names.split(f"{namespace}/{name}")
    except NameInvalid:
        raise RepositoryError(
            "Use lowercase letters, digits and separators (. _ -), optionally in path components "
            "separated by /; start and end with a letter or digit.",
            field="name",
        ) from None
    if Repository.objects.filter(namespace__name=namespace, name=name).exists():
        raise RepositoryError(f"{namespace}/{name} already exists.", field="name")
    if namespace == LIBRARY:
        ns = namespace_library()
    elif namespace == user.username:
        ns = namespace_for_user(user=user)
    else:
        ns = Namespace.objects.get(name=namespace, kind=Namespace.Kind.ORG)
    repo = Repository(
        namespace=ns,
        name=name,
        description=description.strip()[:100],
        full_description=full_description,
        is_private=is_private,
    )
    repo.search_text = repo.compute_search_text()
    try:
        with transaction.atomic():
            repo.save()
            _created(repo)
    except IntegrityError:
        raise RepositoryError(f"{namespace}/{name} already exists.", field="name") from None
    return repo


REPOSITORY_EDITABLE = {"description", "full_description", "is_private"}


@transaction.atomic
def repository_update(*, repository: Repository, **fields) -> Repository:
    unknown = set(fields) - REPOSITORY_EDITABLE
    if unknown:
        raise RepositoryError(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    if "description" in fields:
        fields["description"] = (fields["description"] or "").strip()
        if len(fields["description"]) > 100:
            raise RepositoryError("Keep the short description to 100 characters.", "description")
    was_private = repository.is_private
    if (
        "is_private" in fields
        and bool(fields["is_private"]) != was_private
        and repository.namespace.kind == Namespace.Kind.PROXY
    ):
        raise RepositoryError(
            "A cached repository is private exactly when its upstream is for those signed in: "
            "change the upstream's pull access instead.",
            "is_private",
        )
    for key, value in fields.items():
        setattr(repository, key, value)
    repository.search_text = repository.compute_search_text()
    repository.updated_at = timezone.now()
    repository.save(update_fields=[*fields, "search_text", "updated_at"])
    if repository.is_private != was_private:
        event_record(
            action="repository.visibility",
            repository=repository,
            data={"is_private": repository.is_private},
        )
    return repository


@transaction.atomic
def repository_delete(*, repository: Repository) -> None:
    """Delete the repository with its tags and manifests; gc frees blobs nobody else uses."""
    from hub.models import ManifestChild

    # Index entries first: they protect their child manifests from a lone delete, which would
    # otherwise block deleting the repository that holds both.
    ManifestChild.objects.filter(parent__repository=repository).delete()
    event_record(action="repository.deleted", repository=repository)
    repository.delete()


# --- stars ---


@transaction.atomic
def star_add(*, user: User, repository: Repository) -> bool:
    """Star; False when it already was. The counter moves only with a real change."""
    from hub.models import Star

    _, created = Star.objects.get_or_create(user=user, repository=repository)
    if created:
        Repository.objects.filter(pk=repository.pk).update(star_count=F("star_count") + 1)
    return created


@transaction.atomic
def star_remove(*, user: User, repository: Repository) -> bool:
    from hub.models import Star

    deleted, _ = Star.objects.filter(user=user, repository=repository).delete()
    if deleted:
        Repository.objects.filter(pk=repository.pk, star_count__gt=0).update(
            star_count=F("star_count") - 1
        )
    return bool(deleted)


# --- tags (docker rmi / docker tag) ---


@transaction.atomic
def tag_delete(*, repository: Repository, name: str) -> None:
    from hub.models import Tag

    tag = Tag.objects.select_related("manifest").filter(repository=repository, name=name).first()
    if tag is None:
        raise RepositoryError(f"No tag {name!r} in {repository.full_name}.", field="name")
    tag.delete()
    event_record(
        action="delete",
        repository=repository,
        tag=name,
        digest=tag.manifest.digest,
        data={"kind": "tag"},
    )


@transaction.atomic
def tag_create(*, repository: Repository, name: str, source: str):
    """Point tag ``name`` at what ``source`` (a tag or a digest) points at: `docker tag`."""
    from hub.models import Manifest, Tag
    from hub.registry.names import TAG_RE

    if not TAG_RE.match(name):
        raise RepositoryError(
            "Tags are up to 128 letters, digits, _ . and -, not starting with . or -.", "name"
        )
    if ":" in source:
        manifest = Manifest.objects.filter(repository=repository, digest=source).first()
    else:
        tag = Tag.objects.select_related("manifest").filter(repository=repository, name=source)
        manifest = tag.first().manifest if tag.exists() else None
    if manifest is None:
        raise RepositoryError(f"No tag or digest {source!r} in {repository.full_name}.", "from")
    tag, _ = Tag.objects.update_or_create(
        repository=repository,
        name=name,
        defaults={"manifest": manifest, "updated_at": timezone.now()},
    )
    Repository.objects.filter(pk=repository.pk).update(updated_at=timezone.now())
    event_record(
        action="push",
        repository=repository,
        tag=name,
        digest=manifest.digest,
        data={"media_type": manifest.media_type, "platforms": manifest_platforms(manifest)},
    )
    return tag


def manifest_platforms(manifest) -> list[str]:
    """ "os/arch[/variant]" of an image, or of each image an index lists."""
    from hub.models import ManifestChild

    if manifest.os or manifest.architecture:
        rows = [(manifest.os, manifest.architecture, manifest.variant)]
    else:
        rows = ManifestChild.objects.filter(parent=manifest).values_list(
            "os", "architecture", "variant"
        )
    return ["/".join(p for p in row if p) for row in rows if any(row)]
