"""Epochs: the values in Redis that say whether a cached registry answer is still right.

Two kinds, both random (not counters, so a Redis that lost its last writes can never hand back
a value older cache entries were made under by coincidence of numbering):

- ``access``: one for the whole hub, bumped by any change to who may read what (accounts,
  tokens, robots, memberships, teams, collaborators, namespaces);
- ``repo:<ns>/<name>``: one per repository name, bumped by any change to that repository, its
  tags, manifests or blob links.

Every cache key holds both, so a new access epoch (a bump, or a Redis that lost its data)
retires every cached answer at once.

Bumps happen after the transaction commits (``transaction.on_commit``), so a request that reads
the new value reads the committed data too; the change's own response is sent after its bump.
"""

import asyncio
import logging
import uuid
import weakref

import redis
import redis.asyncio as aredis
from django.conf import settings
from django.db import transaction

from hub.redisconn import get_redis, key

logger = logging.getLogger(__name__)

ACCESS = "access"
UNCHANGED = b"-"  # the epoch of a repository with none in Redis yet


def access_key() -> str:
    return key("epoch", ACCESS)


def repository_key(full_name: str) -> str:
    return key("epoch", "repo", full_name)


def _new_value() -> str:
    return uuid.uuid4().hex


def _bump(keys: list[str]) -> None:
    try:
        with get_redis().pipeline(transaction=False) as pipe:
            for name in keys:
                pipe.set(name, _new_value())
            pipe.execute()
    except redis.RedisError as exc:
        # Cached answers then live until their time-to-live (WHARF_REGISTRY_CACHE_SECONDS).
        logger.warning("registry cache epochs not bumped (%s): %s", ", ".join(keys), exc)


def bump_after_commit(*keys: str, using: str | None = None) -> None:
    """Bump ``keys`` once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: _bump(list(keys)), using=using)


def bump_access(using: str | None = None) -> None:
    bump_after_commit(access_key(), using=using)


def bump_repository(full_name: str, using: str | None = None) -> None:
    bump_after_commit(repository_key(full_name), using=using)


# --- reading, from the event loop ---

_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aredis.Redis]" = (
    weakref.WeakKeyDictionary()
)


def _client() -> aredis.Redis:
    """One asyncio Redis client per event loop (uvicorn runs one per process)."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        client = aredis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1, max_connections=64
        )
        _clients[loop] = client
    return client


async def current(full_name: str | None) -> tuple[bytes, ...]:
    """(access epoch, repository epoch) now — the access epoch alone without a name. Raises
    RedisError."""
    names = [access_key()] if full_name is None else [access_key(), repository_key(full_name)]
    return tuple(await current_keys(names))


async def current_keys(names: list[str]) -> list[bytes]:
    """The values of ``names`` in one round trip, the first being the access epoch. Raises
    RedisError.

    Only the access epoch is set when missing: a Redis that lost its data (restarted without
    persistence) so gets a new one, which no cached entry was made under. A repository that was
    never changed since has no epoch (``UNCHANGED``); none is made for it, so asking for any
    number of names that do not exist costs Redis nothing.
    """
    client = _client()
    values = await client.mget(names)
    if values[0] is None:
        await client.set(names[0], _new_value(), nx=True)
        values = await client.mget(names)
    return [UNCHANGED if value is None else value for value in values]


async def count_pull(entry: dict) -> None:
    """One pull, in Redis's stream of pulls (``hub.pulls`` counts and records them)."""
    from hub import pulls

    await _client().xadd(pulls.stream_key(), entry, maxlen=pulls.STREAM_MAX, approximate=True)
