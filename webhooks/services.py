"""Writes on webhooks and deliveries. Pages and the API call these; the workers call
``webhooks.delivery``.

Each raises ``django.core.exceptions.ValidationError`` naming the field, so forms and the API
show the message next to it.
"""

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from hub.models import Namespace, Repository
from webhooks import payloads
from webhooks.dispatch import queue_on_commit
from webhooks.models import Delivery, Webhook
from webhooks.validation import normalize_events, validate_url

# Per repository or namespace: every event is sent once per webhook, so this bounds the work
# one push can make.
WEBHOOKS_PER_TARGET = 20
SECRET_MAX_LENGTH = 256
NAME_MAX_LENGTH = 100
EDITABLE = {"name", "url", "events", "secret", "active"}


def _clean(fields: dict) -> dict:
    """The fields, checked and normalised; ValidationError({field: [message]}) otherwise."""
    errors, clean = {}, {}
    if "name" in fields:
        name = (fields["name"] or "").strip()
        if not name:
            errors["name"] = ["Give the webhook a name (what it tells, or whom)."]
        elif len(name) > NAME_MAX_LENGTH:
            errors["name"] = [f"Keep the name to {NAME_MAX_LENGTH} characters."]
        clean["name"] = name
    for field, check in (("url", validate_url), ("events", normalize_events)):
        if field in fields:
            try:
                clean[field] = check(fields[field])
            except ValidationError as error:
                errors[field] = error.messages
    if fields.get("secret") is not None:
        if len(fields["secret"]) > SECRET_MAX_LENGTH:
            errors["secret"] = [f"Keep the secret to {SECRET_MAX_LENGTH} characters."]
        clean["secret"] = fields["secret"]
    if "active" in fields:
        clean["active"] = bool(fields["active"])
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def webhook_create(
    *,
    repository: Repository | None = None,
    namespace: Namespace | None = None,
    name: str,
    url: str,
    events,
    secret: str = "",
    active: bool = True,
    by=None,
) -> Webhook:
    """A webhook of ``repository``, or of ``namespace`` (all its repositories)."""
    if (repository is None) == (namespace is None):
        raise ValueError("a webhook belongs to a repository or to a namespace")
    clean = _clean({"name": name, "url": url, "events": events, "secret": secret or ""})
    target = Webhook.objects.select_for_update()
    existing = (
        target.filter(repository=repository) if repository else target.filter(namespace=namespace)
    )
    if len(existing) >= WEBHOOKS_PER_TARGET:
        what = repository.full_name if repository else namespace.name
        raise ValidationError(
            f"{what} has {WEBHOOKS_PER_TARGET} webhooks already, the most it may have; "
            "remove one first."
        )
    webhook = Webhook(
        repository=repository,
        namespace=namespace,
        name=clean["name"],
        url=clean["url"],
        events=clean["events"],
        active=active,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    webhook.set_secret(clean["secret"])
    webhook.save()
    return webhook


def webhook_update(*, webhook: Webhook, **fields) -> Webhook:
    """Change what is given. ``secret``: None keeps it, "" removes it. Turning a webhook on
    again clears why Wharf turned it off, and its failing streak."""
    unknown = set(fields) - EDITABLE
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    clean = _clean(fields)
    changed = ["updated_at"]
    for key, value in clean.items():
        if key == "secret":
            webhook.set_secret(value)
        else:
            setattr(webhook, key, value)
        changed.append(key)
    if clean.get("active"):
        webhook.failing_since = webhook.disabled_at = None
        webhook.disabled_reason = ""
        changed += ["failing_since", "disabled_at", "disabled_reason"]
    webhook.updated_at = timezone.now()
    webhook.save(update_fields=changed)
    return webhook


def webhook_delete(*, webhook: Webhook) -> None:
    """The webhook and its delivery history."""
    webhook.delete()


@transaction.atomic
def webhook_ping(*, webhook: Webhook, user=None) -> Delivery:
    """The Test button: a ``ping`` delivery, sent once, whether or not the webhook is on."""
    delivery_uuid = uuid.uuid4()
    body = payloads.ping_payload(webhook, user=user, callback=payloads.callback_url(delivery_uuid))
    delivery = Delivery.objects.create(
        webhook=webhook,
        action="ping",
        uuid=delivery_uuid,
        payload=payloads.encode(body),
        manual=True,
    )
    queue_on_commit([delivery.pk])
    return delivery


@transaction.atomic
def delivery_redeliver(*, delivery: Delivery) -> Delivery:
    """The same event, sent once more as a delivery of its own (a new id, signed with the
    secret the webhook has now)."""
    delivery_uuid = uuid.uuid4()
    again = Delivery.objects.create(
        webhook_id=delivery.webhook_id,
        event_id=delivery.event_id,
        action=delivery.action,
        uuid=delivery_uuid,
        payload=payloads.with_callback(delivery.payload, payloads.callback_url(delivery_uuid)),
        manual=True,
        redelivery_of=delivery,
    )
    queue_on_commit([again.pk])
    return again


def delivery_callback(
    *, delivery: Delivery, state: str, description: str = "", context: str = "", target_url=""
) -> Delivery:
    """What the receiver reported to the delivery's ``callback_url``; the last report wins."""
    delivery.callback_state = state
    delivery.callback_description = description
    delivery.callback_context = context
    delivery.callback_target_url = target_url
    delivery.callback_at = timezone.now()
    delivery.save(
        update_fields=[
            "callback_state",
            "callback_description",
            "callback_context",
            "callback_target_url",
            "callback_at",
        ]
    )
    return delivery
