"""Hub work for the Celery workers: periodic (scheduled by beat, CELERY_BEAT_SCHEDULE in
settings) and after pushes."""

import logging
from dataclasses import asdict
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from hub import pulls
from hub.locks import Lock
from hub.registry import layersize
from hub.registry.gc import GcReport, collect_garbage

log = logging.getLogger(__name__)

PUBLISH_TIMEOUTS = {"socket_timeout": 1, "socket_connect_timeout": 1}
GC_LOCK = "registry-gc"


def registry_gc_exclusive(*, grace: timedelta, dry_run: bool = False) -> GcReport | None:
    """``collect_garbage``, unless a gc runs already somewhere (None then, and a log line).

    Beat's schedule (one beat per deployment, but a second one started by mistake, or a
    ``manage.py gc`` by hand, or a run that outlasts its interval) could otherwise start two
    gcs together, each walking every blob and upload. A dry run deletes nothing: it needs no
    lock, and may look while a real run works.
    """
    if dry_run:
        return collect_garbage(grace=grace, dry_run=True)
    lock = Lock(GC_LOCK)
    if not lock.acquire():
        log.info("registry gc skipped: another run holds its lock (%s)", lock.holder() or "?")
        return None
    try:
        return collect_garbage(grace=grace)
    finally:
        lock.release()


@shared_task(ignore_result=True, soft_time_limit=3300, time_limit=3600)
def registry_gc() -> dict | None:
    """What was collected; None when another gc was running (this one skipped)."""
    report = registry_gc_exclusive(grace=timedelta(hours=settings.WHARF_GC_GRACE_HOURS))
    return asdict(report) if report is not None else None


@shared_task(ignore_result=True, soft_time_limit=50, time_limit=60)
def pull_counts_flush() -> None:
    pulls.pull_counts_flush()


# A gzipped layer is read at about 100 MB/s of gzip on the 2-core reference machine
# (bench/layersize.py): half an hour is some 180 GB of layers.
@shared_task(ignore_result=True, soft_time_limit=1800, time_limit=1900)
def layers_measure(manifest_id: int) -> None:
    """Measure the unpacked sizes of a pushed image's layers, which the tag page shows."""
    try:
        measured = layersize.manifest_layers_measure(manifest_id=manifest_id)
    except SoftTimeLimitExceeded:
        # What was measured is saved; the rest stays unmeasured until the image is pushed again.
        log.warning("manifest %s: measuring its layers ran out of time", manifest_id)
        return
    log.debug("manifest %s: %d layer sizes measured", manifest_id, measured)


def layers_measure_queue(manifest_id: int) -> None:
    """Queue ``layers_measure``. A broker that cannot take it is logged, never raised: the push
    that asks is stored already, and its layers only show their compressed sizes."""
    from hub import celery_app

    try:
        # A connection of its own with socket timeouts: a hung Redis (accepting connections,
        # never answering) would otherwise hold the push's response for ever.
        with celery_app.connection_for_write(transport_options=PUBLISH_TIMEOUTS) as connection:
            layers_measure.apply_async((manifest_id,), connection=connection, retry=True,
                retry_policy={"max_retries": 1, "interval_start": 0.2})  # fmt: skip
    except Exception as exc:  # kombu's, redis's, a socket's: whatever it is, the push stands
        log.warning("manifest %s: layer sizes not queued: %s", manifest_id, exc)
