"""Workers write a short-lived key into Redis so /healthz can say which ones are alive.

A key per worker with a TTL a few times the beat interval: a worker that dies simply stops
refreshing its key and drops out of the list, with no broadcast round-trip on each health check.
"""

import json
import threading
import time

import redis
from celery.signals import worker_ready, worker_shutdown

from hub.redisconn import get_redis, key

INTERVAL_SECONDS = 10
TTL_SECONDS = 30

_stop = threading.Event()


def beat_once(client: redis.Redis, hostname: str, started: float) -> None:
    """One heartbeat: ``hostname`` is alive, and has been since ``started`` (Unix time)."""
    payload = json.dumps({"hostname": hostname, "started": started})
    client.set(key("worker", hostname), payload, ex=TTL_SECONDS)


def _beat(hostname: str) -> None:
    client = get_redis()
    worker_key = key("worker", hostname)
    started = time.time()
    while not _stop.is_set():
        try:
            beat_once(client, hostname, started)
        except redis.RedisError:
            pass  # Redis is briefly away; the next beat tries again.
        _stop.wait(INTERVAL_SECONDS)
    try:
        client.delete(worker_key)
    except redis.RedisError:
        pass


@worker_ready.connect
def _start_beating(sender=None, **kwargs):
    hostname = getattr(sender, "hostname", "worker")
    threading.Thread(target=_beat, args=(hostname,), name="wharf-heartbeat", daemon=True).start()


@worker_shutdown.connect
def _stop_beating(**kwargs):
    _stop.set()


def workers_alive(client: redis.Redis) -> list[str]:
    """Host names of the workers whose heartbeat key has not expired."""
    prefix = key("worker", "")
    return sorted(k.decode().removeprefix(prefix) for k in client.scan_iter(prefix + "*"))


def workers_started_since(client: redis.Redis, since: float) -> list[str]:
    """Host names of the live workers whose heartbeat began at or after ``since``: a key a
    worker of an earlier run left behind (Redis keeps it on disk for its TTL) does not count."""
    prefix = key("worker", "")
    found = []
    for worker_key in client.scan_iter(prefix + "*"):
        try:
            started = float(json.loads(client.get(worker_key) or b"{}").get("started", 0))
        except (ValueError, TypeError, AttributeError):
            continue
        if started >= since:
            found.append(worker_key.decode().removeprefix(prefix))
    return sorted(found)


def wait_for_worker(*, since: float, timeout: float, running=lambda: True) -> str | None:
    """The first worker to beat since ``since``, waiting up to ``timeout`` seconds; None when
    none did, or as soon as ``running()`` says the worker we wait for has exited."""
    deadline = time.monotonic() + timeout
    while running():
        try:
            found = workers_started_since(get_redis(), since)
        except redis.RedisError:
            found = []  # the private Redis is being started again: not yet
        if found:
            return found[0]
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.2)
    return None
