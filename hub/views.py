from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hub.health import check_database, check_redis


@require_GET
def home(request):
    return render(request, "hub/home.html")


@require_GET
def explore(request):
    return render(request, "hub/explore.html")


@require_GET
def search(request):
    query = request.GET.get("q", "").strip()[:200]
    return render(request, "hub/search.html", {"query": query, "results": []})


@never_cache
@require_GET
def healthz(request):
    """200 only when both the database and Redis answer; the worker list is informational."""
    database = check_database()
    redis_status, workers = check_redis()
    healthy = database["ok"] and redis_status["ok"]
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": database,
        "redis": redis_status,
        "workers": workers,
    }
    return JsonResponse(body, status=200 if healthy else 503)
