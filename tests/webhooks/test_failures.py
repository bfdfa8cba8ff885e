"""Failing receivers: retries with the configured delays until they run out, a webhook that
has failed for days turned off with a notice, the sweep that sends what is overdue, and the
history's retention."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api.conftest import signed_in
from tests.webhooks.conftest import Answer, record_push
from webhooks import delivery as deliveries
from webhooks.models import Delivery, DeliveryAttempt, Webhook
from webhooks.services import webhook_create, webhook_ping, webhook_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def down(receiver, allow_private, settings):
    """A receiver that answers 503 to everything, retries without waiting."""
    settings.WHARF_WEBHOOK_RETRY_DELAYS = [0, 0]
    return receiver(*[503] * 20)


def _hook(app, url, **kwargs) -> Webhook:
    return webhook_create(repository=app, name="ci", url=url, events=["push"], **kwargs)


def test_retries_run_out_after_the_configured_delays_and_the_delivery_fails(app, down):
    _hook(app, down.url)
    record_push(app)
    pending = Delivery.objects.get()

    outcomes = [deliveries.attempt(pending.pk) for _ in range(4)]

    assert [o.status if o else None for o in outcomes] == ["pending", "pending", "failed", None]
    failed = Delivery.objects.get()
    assert failed.attempts == 3 and failed.response_code == 503 and failed.finished_at
    assert [a.response_code for a in failed.attempt_rows.all()] == [503, 503, 503]
    assert len(down.received) == 3


def test_a_retry_waits_for_its_delay(app, down, settings):
    settings.WHARF_WEBHOOK_RETRY_DELAYS = [300]
    _hook(app, down.url)
    record_push(app)
    pending = Delivery.objects.get()

    first = deliveries.attempt(pending.pk)

    assert first.status == "pending"
    assert first.next_attempt_at - first.last_attempt_at >= timedelta(seconds=300)
    assert deliveries.attempt(pending.pk) is None  # not due: nothing sent
    assert len(down.received) == 1


def test_a_webhook_failing_for_days_is_turned_off_with_a_notice(app, alice, down, client):
    webhook = _hook(app, down.url)
    Webhook.objects.filter(pk=webhook.pk).update(failing_since=timezone.now() - timedelta(days=4))
    record_push(app)

    deliveries.attempt(Delivery.objects.get().pk)

    webhook.refresh_from_db()
    assert webhook.active is False and webhook.disabled_at
    assert "every delivery failed since" in webhook.disabled_reason
    assert "more than 3 days" in webhook.disabled_reason
    shown = signed_in(alice).get(f"/api/v2/repositories/alice/app/webhooks/{webhook.pk}/").json()
    assert shown["disabled_reason"] == webhook.disabled_reason and shown["active"] is False
    client.force_login(alice)
    page = client.get(f"/r/alice/app/settings/webhooks/{webhook.pk}/").content.decode()
    assert "This webhook is off." in page and "every delivery failed since" in page
    listing = client.get("/r/alice/app/settings/webhooks/").content.decode()
    assert "turned off by Wharf" in listing
    # Its retry is not sent: the webhook is off.
    assert deliveries.attempt(Delivery.objects.get().pk) is None
    stopped = Delivery.objects.get()
    assert (stopped.status, stopped.error) == ("failed", "Not sent: the webhook is turned off.")


def test_the_sweep_turns_off_webhooks_failing_for_days_and_spares_the_others(app, settings):
    settings.WHARF_WEBHOOK_DISABLE_AFTER_DAYS = 2
    now = timezone.now()
    old = _hook(app, "https://a.example.com/")
    recent = _hook(app, "https://b.example.com/")
    working = _hook(app, "https://c.example.com/")
    Webhook.objects.filter(pk=old.pk).update(failing_since=now - timedelta(days=2, minutes=1))
    Webhook.objects.filter(pk=recent.pk).update(failing_since=now - timedelta(days=1))

    assert deliveries.webhooks_disable_failing() == 1

    assert list(Webhook.objects.filter(active=False)) == [old]
    assert "more than 2 days" in Webhook.objects.get(pk=old.pk).disabled_reason
    assert Webhook.objects.get(pk=working.pk).disabled_reason == ""


def test_a_success_ends_the_failing_streak(app, receiver, allow_private):
    webhook = _hook(app, receiver().url)
    Webhook.objects.filter(pk=webhook.pk).update(failing_since=timezone.now() - timedelta(days=1))
    record_push(app)

    assert deliveries.attempt(Delivery.objects.get().pk).status == "success"

    assert Webhook.objects.get().failing_since is None


def test_turning_a_webhook_on_again_clears_the_notice(app):
    webhook = _hook(app, "https://a.example.com/")
    Webhook.objects.filter(pk=webhook.pk).update(
        active=False, disabled_reason="Turned off by Wharf", failing_since=timezone.now()
    )
    webhook.refresh_from_db()

    webhook_update(webhook=webhook, active=True)

    webhook.refresh_from_db()
    assert (webhook.active, webhook.disabled_reason, webhook.failing_since) == (True, "", None)


def test_test_sends_a_ping_to_a_webhook_that_is_off(app, alice, receiver, allow_private):
    hook = receiver()
    webhook = _hook(app, hook.url, active=False)

    ping = webhook_ping(webhook=webhook, user=alice)

    assert deliveries.attempt(ping.pk).status == "success"
    [request] = hook.received
    assert request.headers["x-wharf-event"] == "ping"
    assert request.json["data"]["webhook"]["name"] == "ci"
    assert request.json["actor"] == {"name": "alice", "kind": "user"}


def test_a_failed_test_ping_is_not_retried(app, alice, down):
    ping = webhook_ping(webhook=_hook(app, down.url), user=alice)

    assert deliveries.attempt(ping.pk).status == "failed"


def test_the_sweep_finds_overdue_deliveries_and_not_the_ones_held_or_waiting(app):
    _hook(app, "https://a.example.com/")
    for _ in range(4):
        record_push(app)
    overdue, held, waiting, done = Delivery.objects.order_by("id")
    now = timezone.now()
    Delivery.objects.filter(pk=overdue.pk).update(next_attempt_at=now - timedelta(minutes=5))
    Delivery.objects.filter(pk=held.pk).update(
        next_attempt_at=now - timedelta(minutes=5), claimed_until=now + timedelta(minutes=1)
    )
    Delivery.objects.filter(pk=waiting.pk).update(next_attempt_at=now + timedelta(minutes=5))
    Delivery.objects.filter(pk=done.pk).update(status="success", next_attempt_at=None)

    assert deliveries.deliveries_due(now=now) == [overdue.pk]


def test_old_deliveries_are_pruned_with_their_attempts(app, settings):
    settings.WHARF_WEBHOOK_HISTORY_DAYS = 30
    _hook(app, "https://a.example.com/")
    record_push(app)
    record_push(app)
    old, new = Delivery.objects.order_by("id")
    DeliveryAttempt.objects.create(delivery=old, number=1, response_code=200)
    Delivery.objects.filter(pk=old.pk).update(
        status="success", created_at=timezone.now() - timedelta(days=31)
    )

    deliveries.deliveries_prune()

    assert list(Delivery.objects.all()) == [new]
    assert not DeliveryAttempt.objects.exists()


def test_an_attempt_keeps_only_the_first_kb_of_the_answer(app, receiver, allow_private):
    hook = receiver(Answer(status=500, body=b"E" * 5000 + b"\x00tail"))
    _hook(app, hook.url)
    record_push(app)

    delivery = deliveries.attempt(Delivery.objects.get().pk)

    assert delivery.response_body == "E" * 1024
    assert delivery.attempt_rows.get().response_body == "E" * 1024
