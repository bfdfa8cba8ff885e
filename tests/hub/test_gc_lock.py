"""Two garbage collections never run together: the gc task takes a lock in Redis (hub/locks.py),
renewed while it works and gone when its holder dies. Real Redis, real threads and processes."""

import hashlib
import io
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from hub.locks import Lock
from hub.models import Blob
from hub.redisconn import get_redis
from hub.registry.storage import get_store
from hub.tasks import GC_LOCK, registry_gc
from tests.hub.serving import wait_for

pytestmark = pytest.mark.integration

BASE_DIR = Path(__file__).resolve().parents[2]
LONG_AGO = timezone.now() - timedelta(days=3)

# A process that takes the gc lock (as a gc task would) and holds it until it is killed.
HOLDER = """
import sys, time
import django
django.setup()
from hub.locks import Lock
from hub.tasks import GC_LOCK
lock = Lock(GC_LOCK, ttl=float(sys.argv[1]))
assert lock.acquire()
print("held", flush=True)
time.sleep(600)
"""


def garbage_blob() -> Blob:
    """A stored blob that nothing references, pushed long ago: what gc deletes."""
    data = os.urandom(64)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    get_store().put_bytes(data, digest)
    return Blob.objects.create(digest=digest, size=len(data), last_linked_at=LONG_AGO)


def in_thread(function) -> tuple[threading.Thread, list]:
    result: list = []
    thread = threading.Thread(target=lambda: result.append(function()), daemon=True)
    thread.start()
    return thread, result


def test_two_concurrent_gc_runs_one_collects_and_the_other_skips(transactional_db, caplog):
    caplog.set_level(logging.INFO, logger="hub.tasks")
    blob = garbage_blob()
    lock_key = Lock(GC_LOCK).key

    # The test holds the blob's row (and on SQLite the write lock): the first gc, once it has
    # the gc lock, waits there — still running when the second one starts.
    with transaction.atomic():
        Blob.objects.select_for_update().get(pk=blob.pk)
        first, first_result = in_thread(registry_gc)
        wait_for("the first gc to take the lock", lambda: get_redis().exists(lock_key))
        second, second_result = in_thread(registry_gc)
        second.join(timeout=30)
        assert second_result == [None]  # skipped, at once, while the first one still runs
        assert first.is_alive()
    first.join(timeout=60)

    assert first_result[0]["blobs_deleted"] == 1
    assert not Blob.objects.filter(pk=blob.pk).exists() and not get_store().exists(blob.digest)
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skipped) == 1 and skipped[0].startswith(
        "registry gc skipped: another run holds its lock ("
    )
    assert not get_redis().exists(lock_key)  # released at the end: the next run goes ahead
    assert registry_gc()["blobs_deleted"] == 0


def test_the_lock_is_renewed_while_held_and_expires_when_its_holder_dies(
    transactional_db, settings
):
    blob = garbage_blob()
    env = {**os.environ, "WHARF_REDIS_PREFIX": settings.WHARF_REDIS_PREFIX}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, "1"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        time.sleep(3)  # three of its expiry periods: renewed, it holds on

        assert registry_gc() is None
        assert Blob.objects.filter(pk=blob.pk).exists()

        holder.send_signal(signal.SIGKILL)  # no release, no more renewals
        holder.wait(timeout=10)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        holder.stdout.close()
    wait_for("the dead holder's lock to expire", lambda: not get_redis().exists(Lock(GC_LOCK).key))

    assert registry_gc()["blobs_deleted"] == 1
    assert not Blob.objects.filter(pk=blob.pk).exists()


def test_a_holder_that_lost_its_lock_never_frees_the_next_holders():
    first = Lock("test-lock", ttl=0.3)
    assert first.acquire()
    get_redis().delete(first.key)  # as when it expires (Redis unreachable from its holder)
    second = Lock("test-lock")
    assert second.acquire()
    try:
        wait_for("the first holder to notice", lambda: first.lost, timeout=10, interval=0.05)
        first.release()
        assert get_redis().get(second.key) == second.value.encode()
        assert not Lock("test-lock").acquire()
    finally:
        second.release()
    assert not get_redis().exists(second.key)


def test_manage_gc_skips_while_another_gc_runs_but_a_dry_run_looks_anyway(transactional_db):
    garbage_blob()
    other = Lock(GC_LOCK)
    assert other.acquire()
    try:
        out = io.StringIO()
        call_command("gc", stdout=out)
        assert out.getvalue() == (
            f"gc skipped: a gc is running already ({other.holder()}); nothing done\n"
        )
        assert Blob.objects.count() == 1

        out = io.StringIO()
        call_command("gc", "--dry-run", stdout=out)
        assert out.getvalue().startswith("gc would delete 1 blob(s) (64 bytes)")
    finally:
        other.release()
    call_command("gc", stdout=io.StringIO())
    assert Blob.objects.count() == 0
