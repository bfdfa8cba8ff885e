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


def _beat(hostname: str) -> None:
    client = get_redis()
    worker_key = key("worker", hostname)
    payload = json.dumps({"hostname": hostname, "started": time.time()})
    while not _stop.is_set():
        try:
            client.set(worker_key, payload, ex=TTL_SECONDS)
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
