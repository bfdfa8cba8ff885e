"""Reads of webhooks and their deliveries, with what their pages and the API show joined in."""

import uuid

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404

from hub.models import Namespace, Repository
from webhooks.models import Delivery, DeliveryAttempt, Webhook


def webhooks_of(*, repository: Repository | None = None, namespace: Namespace | None = None):
    """A repository's own webhooks, or a namespace's (for all its repositories), each with its
    last delivery's ``last_status``, ``last_response_code`` and ``last_delivery_at``."""
    last = Delivery.objects.filter(webhook=OuterRef("pk")).order_by("-created_at", "-id")
    webhooks = Webhook.objects.select_related(
        "created_by", "repository__namespace", "namespace"
    ).annotate(
        last_status=Subquery(last.values("status")[:1]),
        last_response_code=Subquery(last.values("response_code")[:1]),
        last_delivery_at=Subquery(last.values("created_at")[:1]),
    )
    if repository is not None:
        return webhooks.filter(repository=repository)
    if namespace is not None:
        return webhooks.filter(namespace=namespace)
    return webhooks.none()


def webhook_get(
    *, webhook_id, repository: Repository | None = None, namespace: Namespace | None = None
) -> Webhook:
    webhook = webhooks_of(repository=repository, namespace=namespace).filter(pk=int(webhook_id))
    webhook = webhook.first()
    if webhook is None:
        where = repository.full_name if repository is not None else getattr(namespace, "name", "")
        raise Http404(f"No webhook {webhook_id} in {where}.")
    return webhook


def deliveries_of(*, webhook: Webhook) -> QuerySet[Delivery]:
    """Newest first, each with its attempts (one query for all of a page's)."""
    return Delivery.objects.filter(webhook=webhook).prefetch_related(
        Prefetch("attempt_rows", queryset=DeliveryAttempt.objects.order_by("number"))
    )


def delivery_get(*, webhook: Webhook, delivery_id) -> Delivery:
    delivery = deliveries_of(webhook=webhook).filter(pk=int(delivery_id)).first()
    if delivery is None:
        raise Http404(f"No delivery {delivery_id} of webhook {webhook.pk}.")
    return delivery


def delivery_by_uuid(*, delivery_uuid) -> Delivery | None:
    try:
        delivery_uuid = uuid.UUID(str(delivery_uuid))
    except ValueError:
        return None
    return Delivery.objects.filter(uuid=delivery_uuid).first()
