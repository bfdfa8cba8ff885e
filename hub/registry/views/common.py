"""Looking up the repository a request is about, after checking the caller may touch it."""

from accounts.models import User
from hub.models import Repository
from hub.registry import access, names
from hub.registry.errors import NameUnknown
from hub.services import repository_get_or_create


def repository_for(caller: access.Caller, name: str, action: str = "pull") -> Repository:
    access.require(caller, name, action)
    repo = caller.repository(name)
    if repo is None:
        raise NameUnknown(detail={"name": name})
    return repo


def repository_for_push(caller: access.Caller, name: str) -> Repository:
    """The repository to push into; the first push creates it."""
    access.require(caller, name, "push", scope_actions="pull,push")
    namespace, repo_name = names.split(name)
    try:
        return repository_get_or_create(namespace=namespace, name=repo_name, user=caller.user)
    except User.DoesNotExist:  # staff pushing into a namespace nobody owns
        raise NameUnknown(
            f"there is no namespace {namespace}/: push to an existing user's namespace or library/",
            detail={"name": name},
        ) from None
