"""Readiness checks behind /healthz: can we reach the database and Redis, which workers beat."""

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
