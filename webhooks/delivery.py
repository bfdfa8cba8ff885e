"""Attempts at a delivery: claim, send, record, and schedule the retry or give up.

A worker claims an attempt with a conditional UPDATE (pending, due, not held by another worker,
and the webhook still on — test pings and redeliveries go regardless), so a task that runs
twice, or the sweep's copy of one, sends nothing twice. Every attempt leaves a
``DeliveryAttempt`` row. A failed one is retried after the next of WHARF_WEBHOOK_RETRY_DELAYS;
when they run out the delivery has failed. A webhook whose attempts have all failed for
WHARF_WEBHOOK_DISABLE_AFTER_DAYS is turned off, with the reason shown where it is configured.
"""

import hashlib
import hmac
import logging
from datetime import UTC, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from hub import crypto
from webhooks import sender
from webhooks.conf import setting
from webhooks.models import Delivery, DeliveryAttempt, Webhook
from webhooks.validation import Refused

logger = logging.getLogger(__name__)

# Longer waits are left to the beat's sweep: a Redis broker hands an ETA task that waits past
# its visibility timeout (an hour) to another worker meanwhile.
COUNTDOWN_MAX_SECONDS = 900
TURNED_OFF = "Not sent: the webhook is turned off."


def signature(secret: str, body: bytes) -> str:
    """``X-Wharf-Signature-256``: GitHub's convention, so receivers' libraries verify it."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def request_headers(delivery: Delivery, body: bytes, secret: str) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": sender.USER_AGENT,
        "X-Wharf-Event": delivery.action,
        "X-Wharf-Delivery": str(delivery.uuid),
    }
    if secret:
        headers["X-Wharf-Signature-256"] = signature(secret, body)
    return headers


def retry_delays() -> list[float]:
    return [float(d) for d in setting("WHARF_WEBHOOK_RETRY_DELAYS")]


def _claim(delivery_id: int, now) -> Delivery | None:
    hold = timedelta(seconds=float(setting("WHARF_WEBHOOK_TIMEOUT_SECONDS")) + 60)
    claimed = (
        Delivery.objects.due(now)
        .filter(pk=delivery_id)
        .filter(Q(manual=True) | Q(webhook__active=True))
        .update(claimed_until=now + hold, attempts=F("attempts") + 1)
    )
    if not claimed:
        # Waiting on a webhook that was turned off meanwhile: it will not be sent.
        Delivery.objects.due(now).filter(
            pk=delivery_id, manual=False, webhook__active=False
        ).update(
            status=Delivery.Status.FAILED, error=TURNED_OFF, finished_at=now, next_attempt_at=None
        )
        return None
    return Delivery.objects.select_related("webhook").get(pk=delivery_id)


def attempt(delivery_id: int) -> Delivery | None:
    """Make the delivery's next attempt if it is due; None when there was none to make."""
    delivery = _claim(delivery_id, timezone.now())
    if delivery is None:
        return None
    webhook = delivery.webhook
    started = timezone.now()
    body = delivery.payload.encode()
    try:
        secret = webhook.secret_value()
    except crypto.Unreadable:
        outcome = sender.Outcome(
            error="Not sent: the webhook's secret cannot be read (SECRET_KEY changed); "
            "set the secret again."
        )
    else:
        try:
            outcome = sender.post(
                webhook.url,
                body,
                request_headers(delivery, body, secret),
                timeout=float(setting("WHARF_WEBHOOK_TIMEOUT_SECONDS")),
            )
        except Refused as refused:
            outcome = sender.Outcome(error=str(refused)[:500])
    return record(delivery, outcome, started=started)


def record(delivery: Delivery, outcome: sender.Outcome, *, started) -> Delivery:
    """Store an attempt's outcome; schedule the retry, or end the delivery."""
    now = timezone.now()
    number = delivery.attempts
    delays = retry_delays()
    retry_in = None
    if outcome.ok:
        status = Delivery.Status.SUCCESS
    elif not delivery.manual and number <= len(delays):
        status, retry_in = Delivery.Status.PENDING, delays[number - 1]
    else:
        status = Delivery.Status.FAILED
    fields = {
        "status": status,
        "claimed_until": None,
        "last_attempt_at": started,
        "response_code": outcome.response_code,
        "duration_ms": outcome.duration_ms,
        "response_body": outcome.response_body,
        "error": outcome.error[:500],
        "next_attempt_at": now + timedelta(seconds=retry_in) if retry_in is not None else None,
        "finished_at": None if status == Delivery.Status.PENDING else now,
    }
    try:
        with transaction.atomic():
            DeliveryAttempt.objects.create(
                delivery=delivery,
                number=number,
                started_at=started,
                response_code=outcome.response_code,
                duration_ms=outcome.duration_ms,
                response_body=outcome.response_body,
                error=outcome.error[:500],
            )
            Delivery.objects.filter(pk=delivery.pk).update(**fields)
            hooks = Webhook.objects.filter(pk=delivery.webhook_id)
            if outcome.ok:
                hooks.exclude(failing_since=None).update(failing_since=None)
            else:
                hooks.filter(failing_since=None).update(failing_since=started)
                webhooks_disable_failing(now=now, webhook_id=delivery.webhook_id)
            if retry_in is not None and retry_in <= COUNTDOWN_MAX_SECONDS:
                _queue_retry(delivery.pk, retry_in)
    except IntegrityError:  # the webhook was deleted while its delivery was being sent
        logger.info("webhook delivery %s: gone before its attempt was recorded", delivery.pk)
        return delivery
    for key, value in fields.items():
        setattr(delivery, key, value)
    return delivery


def _queue_retry(delivery_id: int, countdown: float) -> None:
    def send():
        from webhooks.tasks import deliver

        try:
            deliver.apply_async((delivery_id,), countdown=countdown, retry=False)
        except Exception:
            logger.warning("webhook delivery %s: retry not queued; the sweep will send it",
                           delivery_id, exc_info=True)  # fmt: skip

    transaction.on_commit(send, robust=True)


def disabled_reason(webhook: Webhook, days: int, now) -> str:
    since = webhook.failing_since.astimezone(UTC)
    return (
        f"Turned off by Wharf on {now:%Y-%m-%d %H:%M} UTC: every delivery failed since "
        f"{since:%Y-%m-%d %H:%M} UTC (more than {days} day{'s' if days != 1 else ''}). Fix the "
        "receiver, press Test to check it, then turn the webhook on again."
    )


def webhooks_disable_failing(*, now=None, webhook_id: int | None = None) -> int:
    """Turn off the webhooks that have failed for WHARF_WEBHOOK_DISABLE_AFTER_DAYS; how many."""
    now = now or timezone.now()
    days = int(setting("WHARF_WEBHOOK_DISABLE_AFTER_DAYS"))
    failing = Webhook.objects.filter(active=True, failing_since__lte=now - timedelta(days=days))
    if webhook_id is not None:
        failing = failing.filter(pk=webhook_id)
    turned_off = 0
    for webhook in failing.only("pk", "failing_since"):
        turned_off += Webhook.objects.filter(pk=webhook.pk, active=True).update(
            active=False, disabled_at=now, disabled_reason=disabled_reason(webhook, days, now)
        )
        logger.warning("webhook %s turned off: failing since %s", webhook.pk, webhook.failing_since)
    return turned_off


def deliveries_due(*, now=None, grace_seconds: float = 30, limit: int = 500) -> list[int]:
    """Deliveries whose attempt is overdue: their task was lost, never queued (the broker was
    down), or their retry waits longer than ``COUNTDOWN_MAX_SECONDS``."""
    now = now or timezone.now()
    overdue = Delivery.objects.due(now).filter(
        next_attempt_at__lte=now - timedelta(seconds=grace_seconds)
    )
    return list(overdue.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


def deliveries_prune(*, now=None) -> int:
    """Remove deliveries older than WHARF_WEBHOOK_HISTORY_DAYS (attempts go with them)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=int(setting("WHARF_WEBHOOK_HISTORY_DAYS")))
    old = Delivery.objects.filter(created_at__lt=cutoff).exclude(status=Delivery.Status.PENDING)
    deleted, _ = old.delete()
    return deleted
