"""Periodic audit log work, scheduled by Celery beat (CELERY_BEAT_SCHEDULE in settings)."""

from celery import shared_task

from audit.conf import retention_days
from audit.services import events_prune_expired


@shared_task(ignore_result=True, soft_time_limit=1700, time_limit=1800)
def audit_prune() -> int:
    """Delete events older than WHARF_AUDIT_RETENTION_DAYS (safe to run twice, or in two
    workers at once: each deletes what is still there)."""
    return events_prune_expired(days=retention_days())
