"""Retention: events older than WHARF_AUDIT_RETENTION_DAYS go, in batches; 0 keeps them all."""

import datetime
import importlib
import threading
import uuid

import pytest
from celery.signals import task_postrun
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from audit import conf
from audit.models import Event
from audit.services import events_prune, events_prune_expired
from audit.tasks import audit_prune
from tests.audit.conftest import as_user, push, record

DAY = 24 * 60


@pytest.fixture
def aged(alice, app):
    """Pushes 100, 40 and 10 days old, and one now: {age in days: event}."""
    return {
        days: push(app, f"d{days}", alice, minutes_ago=days * DAY) for days in (100, 40, 10)
    } | {0: push(app, "now", alice)}


def left(events) -> set[int]:
    return set(
        Event.objects.filter(pk__in=[e.pk for e in events.values()]).values_list("pk", flat=True)
    )


def test_the_task_deletes_what_is_older_than_the_retention(settings, aged):
    settings.WHARF_AUDIT_RETENTION_DAYS = 30
    audit_prune()
    assert left(aged) == {aged[10].pk, aged[0].pk}


def test_the_default_keeps_ninety_days(aged, monkeypatch):
    monkeypatch.delenv("WHARF_AUDIT_RETENTION_DAYS", raising=False)
    importlib.reload(conf)
    assert conf.WHARF_AUDIT_RETENTION_DAYS == 90
    assert events_prune_expired(days=conf.WHARF_AUDIT_RETENTION_DAYS) == 1
    assert left(aged) == {aged[40].pk, aged[10].pk, aged[0].pk}


def test_zero_keeps_everything(settings, aged):
    settings.WHARF_AUDIT_RETENTION_DAYS = 0
    audit_prune()
    assert left(aged) == {e.pk for e in aged.values()}


def test_pruning_goes_in_batches_and_counts_what_went(alice, app):
    old = [
        record("pull", actor=as_user(alice), repository=app, minutes_ago=50 * DAY) for _ in range(7)
    ]
    kept = record("pull", actor=as_user(alice), repository=app)

    deleted = events_prune(older_than=timezone.now() - datetime.timedelta(days=30), batch_size=3)

    assert deleted == 7
    assert not Event.objects.filter(pk__in=[e.pk for e in old]).exists()
    assert Event.objects.filter(pk=kept.pk).exists()


@pytest.mark.parametrize("value", ["ninety", "-1"])
def test_a_bad_retention_stops_start_up_with_a_message(monkeypatch, value):
    monkeypatch.setenv("WHARF_AUDIT_RETENTION_DAYS", value)
    try:
        with pytest.raises(ImproperlyConfigured, match="WHARF_AUDIT_RETENTION_DAYS"):
            importlib.reload(conf)
    finally:
        monkeypatch.delenv("WHARF_AUDIT_RETENTION_DAYS")
        importlib.reload(conf)


@pytest.mark.integration
def test_a_real_worker_runs_the_prune(settings, celery_worker, aged):
    settings.WHARF_AUDIT_RETENTION_DAYS = 30
    done, prune_id = threading.Event(), str(uuid.uuid4())

    def finished(task_id=None, **_):
        if task_id == prune_id:
            done.set()

    task_postrun.connect(finished, weak=False)
    try:
        audit_prune.apply_async(task_id=prune_id)
        assert done.wait(120), "the worker did not run audit_prune"
    finally:
        task_postrun.disconnect(finished)
    assert left(aged) == {aged[10].pk, aged[0].pk}
