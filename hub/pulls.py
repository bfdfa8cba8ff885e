"""Pull counts: one Redis HINCRBY per pull, added to the database in batches by the worker.

A manifest GET is the registry's most frequent request; an UPDATE of the repository row for
each one would make every pull a database write (on SQLite, one writer at a time). Counts are
kept in one Redis hash (repository id → pulls not yet flushed) instead, and
``pull_counts_flush`` — Celery beat, every ``WHARF_PULL_FLUSH_SECONDS`` — adds them to
``Repository.pull_count``. Nothing is lost: the hash is renamed away before it is read, so
pulls counted meanwhile start a new one, and a batch whose database write failed is found and
applied by the next flush. Without Redis a pull is counted in the database at once.
"""

import logging
import uuid

import redis
from django.db import transaction
from django.db.models import F

from hub.models import Repository
from hub.redisconn import get_redis, key

logger = logging.getLogger(__name__)


def pending_key() -> str:
    return key("pulls", "pending")


def _batch_key(batch: str) -> str:
    return key("pulls", "flushing", batch)


def pull_count(*, repository: Repository) -> None:
    """Count one pull of ``repository``."""
    try:
        get_redis().hincrby(pending_key(), str(repository.pk), 1)
    except redis.RedisError:
        Repository.objects.filter(pk=repository.pk).update(pull_count=F("pull_count") + 1)


def pull_counts_flush() -> int:
    """Add the pulls counted in Redis to the database; returns how many were added."""
    client = get_redis()
    lock = client.lock(key("pulls", "flush-lock"), timeout=300)
    if not lock.acquire(blocking=False):  # another worker's beat is flushing right now
        return 0
    try:
        return _flush(client)
    finally:
        lock.release()


def _flush(client: redis.Redis) -> int:
    batch = _batch_key(uuid.uuid4().hex)
    try:
        client.rename(pending_key(), batch)
    except redis.ResponseError:  # no pulls since the last flush
        pass
    added = 0
    for name in client.scan_iter(match=_batch_key("*"), count=100):
        counts = {int(repo): int(n) for repo, n in client.hgetall(name).items()}
        with transaction.atomic():
            for repo_id, n in sorted(counts.items()):
                Repository.objects.filter(pk=repo_id).update(pull_count=F("pull_count") + n)
        client.delete(name)
        added += sum(counts.values())
    return added
