"""Looking up the repository a request is about, after checking the caller may touch it."""

from accounts.models import User
from hub.models import Namespace, Repository
from hub.registry import access, names
from hub.registry.errors import NameUnknown
from hub.services import repository_get_or_create
from proxy.routes import Route, route_for


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


def proxy_route(caller: access.Caller, name: str) -> Route | None:
    """Where upstream ``name`` comes from, when the pull-through cache answers it: a name in a
    proxy namespace, or one Wharf lacks that the default mirror may have. None for Wharf's own
    repositories, at no query more than their lookup."""
    names.split(name)
    repo = caller.repository(name)
    if repo is not None and repo.namespace.kind != Namespace.Kind.PROXY:
        return None
    return route_for(name, local_exists=repo is not None)
