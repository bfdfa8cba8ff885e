"""From a recorded event to deliveries: called by ``hub.events.event_record`` in the caller's
transaction, for the actions webhooks may subscribe to.

One indexed query says whether any active webhook of the repository or of its namespace could
want the event; most events find none and cost nothing more. Each that does gets a Delivery row
(its body built now, while what it describes still exists), committed with the change; the
workers are told once the transaction has committed, so they never look for a row that is not
there yet, and a rolled-back change sends nothing.
"""

import logging
import uuid

from django.db import transaction

from webhooks import payloads
from webhooks.models import Delivery, Webhook

logger = logging.getLogger(__name__)


def _namespace_id(event) -> int | None:
    if event.repository is not None:
        return event.repository.namespace_id
    if event.namespace:
        from hub.models import Namespace

        return Namespace.objects.filter(name=event.namespace).values_list("pk", flat=True).first()
    return None


def dispatch_on_commit(event) -> list[Delivery]:
    """Deliveries of ``event`` (an audit.Event) to the webhooks subscribed to its action."""
    repository = event.repository
    namespace_id = _namespace_id(event)
    if repository is None and namespace_id is None:
        return []
    hooks = [
        hook
        for hook in Webhook.objects.active()
        .covering(repository_id=event.repository_id, namespace_id=namespace_id)
        .only("pk", "events")
        if event.action in hook.events
    ]
    if not hooks:
        return []
    deliveries = []
    for hook in hooks:
        delivery_uuid = uuid.uuid4()
        body = payloads.event_payload(
            event, repository, callback=payloads.callback_url(delivery_uuid)
        )
        deliveries.append(
            Delivery(
                webhook_id=hook.pk,
                event=event,
                action=event.action,
                uuid=delivery_uuid,
                payload=payloads.encode(body),
            )
        )
    Delivery.objects.bulk_create(deliveries)  # ids set: PostgreSQL, SQLite ≥ 3.35
    queue_on_commit([d.pk for d in deliveries])
    return deliveries


def queue_on_commit(delivery_ids: list[int]) -> None:
    """Send each delivery to the workers once the transaction commits.

    A broker that cannot take the task loses nothing: the delivery stays pending and the
    beat's sweep (``webhooks.tasks.deliveries_sweep``) sends it.
    """

    def send() -> None:
        from webhooks.tasks import deliver

        for delivery_id in delivery_ids:
            try:
                # No publish retries: the registry's push waits on this; the sweep retries.
                deliver.apply_async((delivery_id,), retry=False)
            except Exception:
                logger.warning("webhook delivery %s not queued; the sweep will send it",
                               delivery_id, exc_info=True)  # fmt: skip

    transaction.on_commit(send, robust=True)
