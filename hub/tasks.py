"""Periodic hub work, scheduled by Celery beat (CELERY_BEAT_SCHEDULE in settings)."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from hub import pulls
from hub.registry.gc import collect_garbage


@shared_task(ignore_result=True, soft_time_limit=3300, time_limit=3600)
def registry_gc() -> None:
    collect_garbage(grace=timedelta(hours=settings.WHARF_GC_GRACE_HOURS))


@shared_task(ignore_result=True, soft_time_limit=50, time_limit=60)
def pull_counts_flush() -> None:
    pulls.pull_counts_flush()
