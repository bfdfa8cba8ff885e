"""Celery tasks for webhooks: thin wrappers that take ids and call ``webhooks.delivery``."""

from celery import shared_task

from webhooks import delivery
from webhooks.conf import WHARF_WEBHOOK_TIMEOUT_SECONDS


# Safe to run twice (the attempt is claimed first); the limits are a backstop for the
# attempt's own timeout, which the sender enforces.
@shared_task(
    acks_late=True,
    ignore_result=True,
    soft_time_limit=WHARF_WEBHOOK_TIMEOUT_SECONDS + 30,
    time_limit=WHARF_WEBHOOK_TIMEOUT_SECONDS + 60,
)
def deliver(delivery_id: int) -> None:
    delivery.attempt(delivery_id)


@shared_task(ignore_result=True, soft_time_limit=50, time_limit=60)
def deliveries_sweep() -> None:
    """Every minute: send what is overdue, turn off webhooks that have failed for days."""
    for delivery_id in delivery.deliveries_due():
        deliver.delay(delivery_id)
    delivery.webhooks_disable_failing()


@shared_task(ignore_result=True, soft_time_limit=600, time_limit=660)
def deliveries_prune() -> None:
    delivery.deliveries_prune()
