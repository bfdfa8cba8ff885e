"""Which registry names the pull-through cache answers, and where upstream they come from.

Two ways in:

- a proxy namespace: ``dockerhub/library/nginx`` is ``library/nginx`` of the upstream whose
  namespace is ``dockerhub``, cached in the repository ``dockerhub/library/nginx``;
- the default mirror: ``library/nginx`` (or a top-level name no namespace holds, ``bitnami/x``)
  that Wharf itself does not have is the mirror upstream's ``library/nginx``, cached where the
  proxy namespace would put it (``dockerhub/library/nginx``), so both names share one cache.
  That is what dockerd's ``registry-mirrors`` asks for.

Only names here go upstream, and only to the configured upstream's URL: a client picks a path
on it, never a host.
"""

from dataclasses import dataclass

from accounts.models import User
from hub.models import LIBRARY, Namespace
from hub.registry import names
from proxy.models import Upstream
from proxy.selectors import mirror_upstream, upstream_for_namespace


@dataclass(frozen=True)
class Route:
    upstream: Upstream
    remote_name: str  # the repository's name upstream ("library/nginx")
    local_namespace: str  # where Wharf caches it ("dockerhub")

    @property
    def local_name(self) -> str:
        """The cached repository's name in Wharf ("dockerhub/library/nginx")."""
        return f"{self.local_namespace}/{self.remote_name}"


def route_for(full_name: str, *, local_exists: bool = False) -> Route | None:
    """The route of ``full_name`` as a client sent it, or None when it is Wharf's own.

    ``local_exists``: Wharf has a repository of that very name, which always wins over the
    mirror (a proxy namespace holds nothing but its cache, so there it changes nothing).
    """
    namespace_name, name = names.split(full_name)
    upstream = upstream_for_namespace(namespace_name)
    if upstream is not None:
        if "/" not in name and upstream.host.endswith("docker.io"):
            name = f"{LIBRARY}/{name}"  # dockerhub/nginx is Docker Hub's library/nginx
        return Route(upstream, name, namespace_name)
    if local_exists:
        return None
    if namespace_name != LIBRARY and (
        Namespace.objects.filter(name=namespace_name).exists()
        or User.objects.filter(username__iexact=namespace_name).exists()
    ):
        # A user's (even one who never pushed) or an organization's namespace: never the
        # mirror's, so nobody's name here can be answered with someone else's image upstream.
        return None
    mirror = mirror_upstream()
    if mirror is None:
        return None
    return Route(mirror, f"{namespace_name}/{name}", mirror.namespace.name)
