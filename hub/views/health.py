"""/healthz: what a load balancer or a person checks first."""

import logging

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from hub.health import check_database, check_redis

logger = logging.getLogger(__name__)


def _public(check: dict, name: str) -> dict:
    """A check's result without the error's text, which can name hosts, paths or users.

    /healthz is public; the full error goes to the log, the response keeps only its class.
    """
    if check["ok"]:
        return check
    logger.warning("healthz: %s check failed: %s", name, check["error"])
    # The checks report "ClassName: message"; class names never contain a colon.
    return {**check, "error": check["error"].partition(":")[0]}


@never_cache
@require_safe
def healthz(request):
    """200 only when both the database and Redis answer; the worker list is informational."""
    database = check_database()
    redis_status, workers = check_redis()
    healthy = database["ok"] and redis_status["ok"]
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": _public(database, "database"),
        "redis": _public(redis_status, "redis"),
        "workers": workers,
    }
    return JsonResponse(body, status=200 if healthy else 503)
