"""One Redis connection pool per process for Wharf's own keys (health, heartbeats, rate limits)."""

from functools import cache

import redis
from django.conf import settings


@cache
def _pool(url: str) -> redis.ConnectionPool:
    return redis.ConnectionPool.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def get_redis() -> redis.Redis:
    return redis.Redis(connection_pool=_pool(settings.REDIS_URL))


def key(*parts: str) -> str:
    """A namespaced key; the prefix is a setting so test runs never see each other's keys."""
    return ":".join([settings.WHARF_REDIS_PREFIX, *parts])
