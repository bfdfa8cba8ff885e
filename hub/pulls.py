"""Pulls: one Redis XADD per pull, moved into the database in batches by the worker.

A manifest GET is the registry's most frequent request; an UPDATE of the repository row and an
INSERT into the audit log for each one would make every pull two database writes (on SQLite,
one writer at a time). Each pull is one entry in a Redis stream instead — who pulled what, from
where, when — and ``pull_counts_flush`` (Celery beat, every ``WHARF_PULL_FLUSH_SECONDS``) moves
the entries into the database: in one transaction per batch, the repositories' pull counts go
up and the pulls' audit events are written. Entries leave the stream only after their batch
committed: a crash in between counts those pulls twice, never loses them. Without Redis a pull
is counted and recorded in the database at once.

The stream holds at most ``STREAM_MAX`` entries (about 100 bytes each): a worker away for so
long that more pile up loses the oldest.
"""

import logging
import time
import uuid
from collections import Counter
from datetime import UTC, datetime

import redis
from django.db import transaction
from django.db.models import F

from hub.models import Repository
from hub.redisconn import get_redis, key

logger = logging.getLogger(__name__)

STREAM_MAX = 2_000_000
FLUSH_BATCH = 2_000
# One entry: these fields joined by SEP, in one stream field (one small string for Redis to
# store and the registry to send).
FIELDS = ("t", "r", "n", "k", "tn", "pat", "ip", "ref")
SEP = "\x1f"


def stream_key() -> str:
    return key("pulls", "stream")


def pull_entry(*, repository_id: int, actor, reference: str, pat: str = "") -> dict:
    """The stream entry of one pull by ``actor`` (a ``hub.events.EventActor``); ``pat`` names an
    access token by uuid when its name is not at hand (the registry's fast path): the flush
    looks it up, as it looks up the account by name."""
    values = (
        repr(time.time()),
        str(repository_id),
        actor.name,
        actor.kind,
        actor.token_name,
        pat,
        actor.ip or "",
        reference,
    )
    return {"p": SEP.join(v.replace(SEP, "") for v in values)}


def pull_count(*, repository: Repository, reference: str, actor=None) -> None:
    """Count one pull of ``repository`` and record its audit event (``reference``: the tag or
    digest asked for)."""
    from hub import events

    actor = actor or events.current_actor()
    entry = pull_entry(repository_id=repository.pk, actor=actor, reference=reference)
    try:
        get_redis().xadd(stream_key(), entry, maxlen=STREAM_MAX, approximate=True)
    except redis.RedisError:
        with transaction.atomic():
            Repository.objects.filter(pk=repository.pk).update(pull_count=F("pull_count") + 1)
            events.event_record(
                action="pull", actor=actor, repository=repository, **_reference(reference)
            )


def _reference(reference: str) -> dict:
    if reference.startswith("sha256:"):
        return {"digest": reference[:150]}
    return {"tag": reference[:128]}


def pull_counts_flush() -> int:
    """Move the pulls in Redis into the database; returns how many were added."""
    client = get_redis()
    lock = client.lock(key("pulls", "flush-lock"), timeout=300)
    if not lock.acquire(blocking=False):  # another worker's beat is flushing right now
        return 0
    try:
        return _flush_counts_of_old_versions(client) + _flush_stream(client)
    finally:
        lock.release()


def _flush_stream(client: redis.Redis) -> int:
    added, start = 0, "-"
    while True:
        entries = client.xrange(stream_key(), min=start, count=FLUSH_BATCH)
        if not entries:
            return added
        ids = [_text(entry_id) for entry_id, _ in entries]
        pulls = [_unpack(fields) for _, fields in entries]
        rows = _event_rows([p for p in pulls if p is not None])
        counts = Counter(row.repository_id for row in rows)
        with transaction.atomic():
            from audit.models import Event

            Event.objects.bulk_create(rows, batch_size=500)
            for repo_id, n in sorted(counts.items()):
                Repository.objects.filter(pk=repo_id).update(pull_count=F("pull_count") + n)
        client.xdel(stream_key(), *ids)
        added += len(rows)
        if len(entries) < FLUSH_BATCH:
            return added
        start = "(" + ids[-1]


def _unpack(fields: dict) -> dict | None:
    values = _text(fields.get(b"p", fields.get("p", b""))).split(SEP)
    if len(values) != len(FIELDS):
        return None
    return dict(zip(FIELDS, values, strict=True))


def _event_rows(pulls: list[dict]) -> list:
    """audit.Event rows for stream entries, with what the fast path could not look up: the
    repository, the account (by name) and the access token's name (by uuid). A pull of a
    repository deleted since is dropped."""
    from accounts.models import AccessToken, User
    from audit.models import Event

    repo_ids = {int(p["r"]) for p in pulls if p["r"].isdigit()}
    repos = Repository.objects.select_related("namespace").in_bulk(repo_ids)
    names = {p["n"] for p in pulls if p["n"]}
    users = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
    uuids = {u for u in (_uuid(p["pat"]) for p in pulls) if u is not None}
    tokens = dict(AccessToken.objects.filter(uuid__in=uuids).values_list("uuid", "description"))
    rows = []
    for p in pulls:
        repo = repos.get(int(p["r"])) if p["r"].isdigit() else None
        if repo is None:
            continue
        try:
            occurred = datetime.fromtimestamp(float(p["t"]), tz=UTC)
        except ValueError:
            occurred = datetime.now(tz=UTC)
        rows.append(
            Event(
                occurred_at=occurred,
                action="pull",
                actor_id=users.get(p["n"]),
                actor_name=p["n"],
                actor_kind=p["k"] or "anonymous",
                token_name=p["tn"] or tokens.get(_uuid(p["pat"]), ""),
                ip=p["ip"] or None,
                namespace=repo.namespace.name,
                repository=repo,
                repository_name=repo.full_name,
                **_reference(p["ref"]),
            )
        )
    return rows


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _uuid(value: str):
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


# --- counts an older Wharf left in a Redis hash (repository id → pulls) ---


def _flush_counts_of_old_versions(client: redis.Redis) -> int:
    """Add what a Wharf before the pull stream counted in its hash: renamed away before it is
    read, so nothing counted meanwhile is lost; a batch whose write failed is found again."""
    pending = key("pulls", "pending")
    try:
        client.rename(pending, key("pulls", "flushing", uuid.uuid4().hex))
    except redis.ResponseError:  # no such hash
        pass
    added = 0
    for name in client.scan_iter(match=key("pulls", "flushing", "*"), count=100):
        counts = {int(repo): int(n) for repo, n in client.hgetall(name).items()}
        with transaction.atomic():
            for repo_id, n in sorted(counts.items()):
                Repository.objects.filter(pk=repo_id).update(pull_count=F("pull_count") + n)
        client.delete(name)
        added += sum(counts.values())
    return added
