"""Writes on namespaces and repositories. Pages, the API and the registry all call these."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
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
    except IntegrityError:
        return Namespace.objects.get(name=user.username)


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
    try:
        with transaction.atomic():
            return Repository.objects.create(
                namespace=ns,
                name=name,
                is_private=settings.WHARF_DEFAULT_VISIBILITY == "private",
            )
    except IntegrityError:  # a parallel push created it first
        return Repository.objects.select_related("namespace").get(namespace=ns, name=name)


def repository_touch(*, repository: Repository) -> None:
    Repository.objects.filter(pk=repository.pk).update(updated_at=timezone.now())


def repository_count_pull(*, repository: Repository) -> None:
    Repository.objects.filter(pk=repository.pk).update(pull_count=F("pull_count") + 1)
