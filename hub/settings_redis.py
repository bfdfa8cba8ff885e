"""The Redis settings, read by ``hub.settings`` (which imports each of them): the URL, Django's
cache, the Channels layer and Celery's broker, all on that one Redis."""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from hub import datadir
from hub.env import env_str

DATA_DIR = datadir.configured()  # hub.settings makes it and makes it private
# Unset means "the private redis-server that `make run` starts on a socket in the data dir".
REDIS_URL = env_str("REDIS_URL") or f"unix://{DATA_DIR / 'redis.sock'}"
if urlsplit(REDIS_URL).scheme not in {"redis", "rediss", "unix"}:
    raise ImproperlyConfigured(
        f"REDIS_URL must start with redis://, rediss:// or unix://; got {REDIS_URL!r}"
    )
REDIS_IS_PRIVATE = not env_str("REDIS_URL")
# Prefix of Wharf's own Redis keys (worker heartbeats, login rate limits).
WHARF_REDIS_PREFIX = env_str("WHARF_REDIS_PREFIX", "wharf")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "wharf",
        "TIMEOUT": 300,
    }
}

CHANNEL_LAYERS = {
    "default": {
        # channels_redis's layer, waiting in turns shorter than redis-py's read timeout.
        "BACKEND": "hub.channel_layer.RedisChannelLayer",
        # A fast build sends many batches; a viewer that falls behind loses events past the
        # capacity (the consumer then refills from the database, which holds every line).
        "CONFIG": {"hosts": [REDIS_URL], "prefix": "wharf:channels", "capacity": 1000},
    }
}


def _celery_broker_url(url: str) -> str:
    # kombu spells a Unix socket "redis+socket://"; redis-py spells it "unix://".
    if url.startswith("unix://"):
        return "redis+socket://" + url.removeprefix("unix://")
    return url


CELERY_BROKER_URL = _celery_broker_url(REDIS_URL)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Beat's schedule file, in the data dir, is 0600 like everything there (hub/beat.py).
CELERY_BEAT_SCHEDULER = "hub.beat:PrivateScheduler"
