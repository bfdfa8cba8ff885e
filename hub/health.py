"""Readiness checks behind /healthz: can we reach the database and Redis, which workers beat.

Three answers, as load balancers and people read them:

- ``ok`` (200): the database and Redis answer and at least one worker beats — everything works;
- ``degraded`` (200): the database and Redis answer but no worker is alive — pages, the API and
  the registry work (so a load balancer keeps sending traffic), builds wait in the queue;
- ``unavailable`` (503): the database or Redis does not answer.
"""

import redis
from django.db import connection

from hub.heartbeat import workers_alive
from hub.redisconn import get_redis


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not answering"
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True, "vendor": connection.vendor}


def check_redis() -> tuple[dict, list[str]]:
    client = get_redis()
    try:
        client.ping()
        workers = workers_alive(client)
    except redis.RedisError as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}, []
    return {"ok": True}, workers


OK, DEGRADED, UNAVAILABLE = "ok", "degraded", "unavailable"
NO_WORKER = "no worker is alive: builds wait in the queue until one starts"


def overall(database: dict, redis_status: dict, workers: list[str]) -> str:
    """``ok``, ``degraded`` or ``unavailable`` from the three checks (see the module's doc)."""
    if not (database["ok"] and redis_status["ok"]):
        return UNAVAILABLE
    return OK if workers else DEGRADED
