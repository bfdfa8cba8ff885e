"""Hub work for the Celery workers: periodic (scheduled by beat, CELERY_BEAT_SCHEDULE in
settings) and after pushes."""

import logging
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from hub import pulls
from hub.registry import layersize
from hub.registry.gc import collect_garbage

log = logging.getLogger(__name__)

PUBLISH_TIMEOUTS = {"socket_timeout": 1, "socket_connect_timeout": 1}


@shared_task(ignore_result=True, soft_time_limit=3300, time_limit=3600)
def registry_gc() -> None:
    collect_garbage(grace=timedelta(hours=settings.WHARF_GC_GRACE_HOURS))


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
