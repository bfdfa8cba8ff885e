"""/healthz: what a load balancer or a person checks first."""

import logging

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from hub.health import DEGRADED, NO_WORKER, UNAVAILABLE, check_database, check_redis, overall

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
    """``ok`` with the database, Redis and a worker; ``degraded`` (still 200: pages and the
    registry work) without a worker; ``unavailable`` (503) without the database or Redis."""
    database = check_database()
    redis_status, workers = check_redis()
    status = overall(database, redis_status, workers)
    body = {
        "status": status,
        "database": _public(database, "database"),
        "redis": _public(redis_status, "redis"),
        "workers": workers,
    }
    if status == DEGRADED:
        body["reason"] = NO_WORKER
    return JsonResponse(body, status=503 if status == UNAVAILABLE else 200)
