"""Writes on the audit log. Events are recorded by ``hub.events.event_record`` (called by the
services that do the work); here they only go away, when they are older than the retention."""

import datetime

from django.db import transaction
from django.utils import timezone

from audit.models import Event

PRUNE_BATCH = 5000


def events_prune(*, older_than: datetime.datetime, batch_size: int = PRUNE_BATCH) -> int:
    """Delete events from before ``older_than``, ``batch_size`` rows per transaction, so a
    first prune of a big log neither holds one long lock nor one huge transaction while pushes
    keep recording. Returns how many went."""
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                Event.objects.filter(occurred_at__lt=older_than)
                .order_by("occurred_at", "id")
                .values_list("id", flat=True)[:batch_size]
            )
            if not ids:
                return deleted
            Event.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
        if len(ids) < batch_size:
            return deleted


def events_prune_expired(*, days: int, now: datetime.datetime | None = None) -> int:
    """Apply a retention of ``days`` (0: keep everything)."""
    if days <= 0:
        return 0
    return events_prune(older_than=(now or timezone.now()) - datetime.timedelta(days=days))
