"""The registry's settings, read by ``hub.settings`` (which imports each of them): every knob an
environment variable with an embedded default, as there; and the beat entries they schedule."""

from django.core.exceptions import ImproperlyConfigured

from hub.env import env_bool, env_int, env_str, env_url

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
# Pull-through cache (proxy/): a cached tag is re-checked upstream (a HEAD) at most this often,
# in seconds; manifests by digest never are.
WHARF_PROXY_TAG_TTL = env_int("WHARF_PROXY_TAG_TTL", 300, minimum=0)
# Garbage collection evicts cached images nobody pulled for this many days (0: never).
WHARF_PROXY_RETENTION_DAYS = env_int("WHARF_PROXY_RETENTION_DAYS", 30, minimum=0)
# Where blobs live: empty for files under the data dir; s3://bucket/prefix for S3-compatible
# object storage, which web and worker hosts that share no disk all reach
# (hub/registry/storage/). Credentials come from the standard AWS_* variables (boto3's chain).
WHARF_STORAGE_URL = env_str("WHARF_STORAGE_URL")
if WHARF_STORAGE_URL:
    WHARF_STORAGE_URL = env_url("WHARF_STORAGE_URL", "", schemes={"s3"})
    if not WHARF_STORAGE_URL.removeprefix("s3://").split("/")[0]:
        raise ImproperlyConfigured(
            f"WHARF_STORAGE_URL must name a bucket (s3://bucket/prefix); got {WHARF_STORAGE_URL!r}"
        )
# An S3-compatible server other than AWS's (MinIO, Ceph, R2…), e.g. http://minio:9000.
WHARF_S3_ENDPOINT_URL = env_str("WHARF_S3_ENDPOINT_URL")
if WHARF_S3_ENDPOINT_URL:
    WHARF_S3_ENDPOINT_URL = env_url("WHARF_S3_ENDPOINT_URL", "", schemes={"http", "https"})
WHARF_S3_REGION = env_str("WHARF_S3_REGION", "us-east-1")
# Blob GETs answered with a 307 to a presigned URL of the object (20 minutes), as distribution
# does: layer bytes then never pass through Wharf. Clients must reach the S3 endpoint themselves.
WHARF_S3_REDIRECT = env_bool("WHARF_S3_REDIRECT", False)
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
