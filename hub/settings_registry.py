"""The registry's settings, read by ``hub.settings`` (which imports each of them): every knob an
environment variable with an embedded default, as there; and the beat entries they schedule."""

from django.core.exceptions import ImproperlyConfigured

from hub.env import env_int, env_str

# Public repositories unless a pusher says otherwise ("private" makes first pushes private).
WHARF_DEFAULT_VISIBILITY = env_str("WHARF_DEFAULT_VISIBILITY", "public").lower()
if WHARF_DEFAULT_VISIBILITY not in {"public", "private"}:
    raise ImproperlyConfigured(
        f"WHARF_DEFAULT_VISIBILITY must be public or private; got {WHARF_DEFAULT_VISIBILITY!r}"
    )
# Registry bearer tokens live this long (seconds); clients fetch a new one when it runs out.
WHARF_REGISTRY_TOKEN_TTL = env_int("WHARF_REGISTRY_TOKEN_TTL", 300, minimum=60, maximum=86400)
# Lifetime of the REST API's login tokens (POST /api/v2/users/login), in seconds.
WHARF_API_TOKEN_TTL = env_int("WHARF_API_TOKEN_TTL", 86400, minimum=60)
# Garbage collection spares unreferenced blobs and upload sessions younger than this (hours).
WHARF_GC_GRACE_HOURS = env_int("WHARF_GC_GRACE_HOURS", 24, minimum=0)
# How often Celery beat runs registry garbage collection (hours); 0 turns the schedule off.
WHARF_GC_INTERVAL_HOURS = env_int("WHARF_GC_INTERVAL_HOURS", 6, minimum=0)
# Pulls are counted in Redis and added to repositories' pull counts this often (hub/pulls.py).
WHARF_PULL_FLUSH_SECONDS = env_int("WHARF_PULL_FLUSH_SECONDS", 10, minimum=1)
# Cached registry answers (hub/registry/fastpath) are checked against Redis on every request;
# this caps how long one lives even so (a Redis that lost a bump, a robot that expires).
WHARF_REGISTRY_CACHE_SECONDS = env_int("WHARF_REGISTRY_CACHE_SECONDS", 60, minimum=0)
REGISTRY_BEAT_SCHEDULE = {
    "pull-counts-flush": {
        "task": "hub.tasks.pull_counts_flush",
        "schedule": WHARF_PULL_FLUSH_SECONDS,
    },
}
if WHARF_GC_INTERVAL_HOURS:
    REGISTRY_BEAT_SCHEDULE["registry-gc"] = {
        "task": "hub.tasks.registry_gc",
        "schedule": WHARF_GC_INTERVAL_HOURS * 3600,
    }
