"""What bumps the epochs: every saved or deleted row the registry's cached answers depend on.

Connected in ``HubConfig.ready``. Queryset ``update()`` sends no signal, so the few updates that
change access (``access_token_revoke``) bump explicitly; the others (pull and star counts,
``updated_at``, last-used times) change nothing a cached answer holds.
"""

from django.db.models.signals import post_delete, post_save, pre_delete

from accounts.models import AccessToken, User
from hub.models import Manifest, Namespace, Repository, RepositoryBlob, Tag
from hub.registry.fastpath import epochs
from orgs.models import Collaborator, Membership, Robot, Team, TeamMember, TeamPermission
from proxy.models import Upstream

# Rows that decide who may read what: any change bumps the hub-wide access epoch.
ACCESS_MODELS = (
    User, AccessToken, Robot, Namespace, Membership, Team, TeamMember, TeamPermission, Collaborator,
    Upstream,  # who may pull through a cache, and which names the mirror answers
)  # fmt: skip
# Rows of one repository's content (tags, manifests, which blobs it serves).
CONTENT_MODELS = (Tag, Manifest, RepositoryBlob)


def _repository_name(repository_id: int, instance=None) -> str | None:
    """ns/name of the repository, without a query when ``instance`` holds it already."""
    repo = instance._state.fields_cache.get("repository") if instance is not None else None
    if repo is not None and "namespace" in repo._state.fields_cache:
        return f"{repo.namespace.name}/{repo.name}"
    row = Repository.objects.filter(pk=repository_id).values_list("namespace__name", "name").first()
    return f"{row[0]}/{row[1]}" if row else None


def _access_changed(sender, instance, using, update_fields=None, **kwargs) -> None:
    if sender is User and update_fields and set(update_fields) <= {"last_login"}:
        return  # signing in changes nothing the registry decides by
    epochs.bump_access(using=using)


def _repository_saved(sender, instance, using, **kwargs) -> None:
    epochs.bump_repository(f"{instance.namespace.name}/{instance.name}", using=using)


def _repository_deleting(sender, instance, using, **kwargs) -> None:
    # Before the delete, while its namespace row can still be read.
    name = _repository_name(instance.pk)
    if name:
        epochs.bump_repository(name, using=using)


def _content_saved(sender, instance, using, **kwargs) -> None:
    name = _repository_name(instance.repository_id, instance)
    if name:
        epochs.bump_repository(name, using=using)


def connect() -> None:
    for model in ACCESS_MODELS:
        post_save.connect(_access_changed, sender=model, dispatch_uid=f"fastpath-{model.__name__}")
        post_delete.connect(
            _access_changed, sender=model, dispatch_uid=f"fastpath-del-{model.__name__}"
        )
    post_save.connect(_repository_saved, sender=Repository, dispatch_uid="fastpath-repository")
    pre_delete.connect(
        _repository_deleting, sender=Repository, dispatch_uid="fastpath-del-repository"
    )
    for model in CONTENT_MODELS:
        post_save.connect(_content_saved, sender=model, dispatch_uid=f"fastpath-{model.__name__}")
        # Before the delete: a cascade from the repository may remove it next.
        pre_delete.connect(
            _content_saved, sender=model, dispatch_uid=f"fastpath-del-{model.__name__}"
        )
