"""What every repository page shares: finding the repository, its URLs, the header's context."""

from functools import wraps

from django.http import Http404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from hub.models import LIBRARY, Repository
from hub.permissions import repository_access
from hub.selectors import repository_get_visible, repository_has_starred


def repository_url(repository: Repository, view: str = "repository", **kwargs) -> str:
    """A repository page's URL; official repositories use their short ``/_/name/`` form."""
    if repository.namespace.name == LIBRARY:
        return reverse(f"official-{view}", kwargs={"name": repository.name, **kwargs})
    kwargs = {"namespace": repository.namespace.name, "name": repository.name, **kwargs}
    return reverse(view, kwargs=kwargs)


def repository_for(
    request, namespace: str, name: str, *, admin: bool = False, write: bool = False
) -> Repository:
    """The repository if the viewer may see it (with ``write``, push to it and manage its
    tags; with ``admin``, manage it); else 404.

    Never 403: a private repository someone may not see must look exactly like a missing one,
    and a public one's management pages are as absent for others as a missing page.
    """
    repository = repository_get_visible(user=request.user, namespace=namespace, name=name)
    access = repository_access(request.user, repository)
    if (admin and not access.admin) or (write and not access.write):
        raise Http404("No such repository")
    return repository


def repository_context(request, repository: Repository, tab: str) -> dict:
    """The header every tab shows: badges, star button, pull command, which tabs to offer."""
    return {
        "repository": repository,
        "perms": repository_access(request.user, repository),
        "has_starred": repository_has_starred(user=request.user, repository=repository),
        "tab": tab,
    }


def safe_next(request, fallback: str) -> str:
    """Where a form came from (``next``), if it is a page of this site; else ``fallback``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def or_longer_name(view, suffix: str, *, post_only: bool = False):
    """Route ``<name>/<suffix>/`` to ``view``, or else to the overview of ``<name>/<suffix>``.

    Repository names may hold slashes, so ``/r/alice/tools/tags/`` is the Tags tab of
    ``alice/tools`` or the page of a repository called ``alice/tools/tags``. The tab wins; when
    it has nothing to show (404) a GET falls back to the longer name, which 404s in turn if
    there is no such repository either. POST-only routes answer a GET with the longer name.
    """
    from hub.views.repositories import overview

    @wraps(view)
    def wrapper(request, namespace, name, **kwargs):
        safe = request.method in ("GET", "HEAD")
        longer = f"{name}/{suffix.format(**kwargs)}"
        if safe and post_only:
            return overview(request, namespace=namespace, name=longer)
        try:
            return view(request, namespace=namespace, name=name, **kwargs)
        except Http404:
            if not safe:
                raise
            return overview(request, namespace=namespace, name=longer)

    return wrapper
