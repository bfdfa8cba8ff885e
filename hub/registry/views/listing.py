"""``/v2/<name>/tags/list`` and ``/v2/_catalog``: sorted, paginated with ``n``/``last``/``Link``."""

from urllib.parse import urlencode

from django.db.models import Q
from django.http import JsonResponse

from hub.models import Repository, Tag
from hub.registry import access
from hub.registry.errors import PaginationNumberInvalid, Unauthorized
from hub.registry.views.base import registry_view
from hub.registry.views.common import repository_for

MAX_PAGE = 1000


def _page_size(request) -> int | None:
    value = request.GET.get("n")
    if value is None or value == "":
        return None
    try:
        n = int(value)
    except ValueError:
        n = -1
    if n < 0:
        raise PaginationNumberInvalid(detail={"n": value})
    return min(n, MAX_PAGE)


def _respond(path: str, body: dict, field: str, rows: list[str], n: int | None):
    """``rows`` is sorted, starts after ``last`` and holds up to n+1 items: cut and link on."""
    more = n is not None and len(rows) > n
    body[field] = rows[:n] if n is not None else rows
    response = JsonResponse(body)
    if more and body[field]:
        query = urlencode({"n": n, "last": body[field][-1]})
        response["Link"] = f'<{path}?{query}>; rel="next"'
    return response


@registry_view("GET")
def tags_list(request, name: str):
    caller = access.authenticate(request)
    repo = repository_for(caller, name, "pull")
    n = _page_size(request)
    tags = Tag.objects.filter(repository=repo).order_by("name")
    if last := request.GET.get("last"):
        tags = tags.filter(name__gt=last)
    rows = list(tags.values_list("name", flat=True)[: (n + 1) if n is not None else None])
    return _respond(request.path, {"name": name}, "tags", rows, n)


@registry_view("GET")
def catalog(request):
    caller = access.authenticate(request)
    if caller.grant is not None and not caller.grant.allows("registry", "catalog", "*"):
        raise Unauthorized(headers=access.challenge("registry:catalog:*"))
    n = _page_size(request)
    repos = Repository.objects.visible_to(caller.actor).order_by("namespace__name", "name")
    if last := request.GET.get("last"):
        last_ns, _, last_name = last.partition("/")
        repos = repos.filter(
            Q(namespace__name__gt=last_ns) | Q(namespace__name=last_ns, name__gt=last_name)
        )
    rows = repos.values_list("namespace__name", "name")[: (n + 1) if n is not None else None]
    names = [f"{ns}/{name}" for ns, name in rows]
    return _respond(request.path, {}, "repositories", names, n)
