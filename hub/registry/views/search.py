"""``/v1/_ping`` and ``/v1/search``: what ``docker search`` and ``podman search`` call.

The five columns of the seed's ``docker search``: NAME, DESCRIPTION, STARS, OFFICIAL, AUTOMATED.
Anonymous callers see public repositories; with credentials, also their own private ones.
"""

import math

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from hub.registry import access
from hub.registry.errors import RegistryError
from hub.selectors import repository_search


def _int(value, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value), low), high)
    except (TypeError, ValueError):
        return default


@csrf_exempt
def ping(request):
    response = JsonResponse({})
    response["X-Docker-Registry-Standalone"] = "true"
    return response


@csrf_exempt
def search(request):
    try:
        caller = access.authenticate(request)
    except RegistryError as exc:
        return exc.response()
    query = request.GET.get("q", "").strip()[:200]
    page_size = _int(request.GET.get("n"), 25, 1, 100)
    page = _int(request.GET.get("page"), 1, 1, 10_000)
    repos = repository_search(user=caller.actor, query=query)
    total = repos.count()
    offset = (page - 1) * page_size
    results = [
        {
            "name": repo.display_name,
            "description": repo.description,
            "star_count": repo.star_count,
            "is_official": repo.is_official,
            "is_automated": repo.is_automated,
            "pull_count": repo.pull_count,
            "is_private": repo.is_private,
        }
        for repo in repos[offset : offset + page_size]
    ]
    return JsonResponse(
        {
            "query": query,
            "num_results": total,
            "num_pages": max(math.ceil(total / page_size), 1),
            "page": page,
            "page_size": page_size,
            "results": results,
        }
    )
