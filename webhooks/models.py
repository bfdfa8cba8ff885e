"""Webhooks: where to tell other systems what happened, and every delivery with its attempts.

A webhook belongs to one repository or to one namespace (all its repositories, present and
future); the database refuses a row with both or neither. Its secret is stored encrypted
(``hub.crypto``) and never shown again: deliveries are signed with it.

A delivery keeps the exact body it sends (so a signature can be checked against the history,
and a redelivery sends the same event), its state (pending until an attempt succeeds or the
retries run out) and one ``DeliveryAttempt`` row per try.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from hub import crypto

# Bytes of a receiver's answer kept per attempt: enough to read an error message.
RESPONSE_KEEP_BYTES = 1024


class WebhookQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def of_repository(self, repository):
        return self.filter(repository=repository)

    def of_namespace(self, namespace):
        return self.filter(namespace=namespace)

    def covering(self, *, repository_id: int | None, namespace_id: int | None):
        """The repository's own webhooks and its namespace's."""
        where = Q(pk__in=[])
        if repository_id is not None:
            where |= Q(repository_id=repository_id)
        if namespace_id is not None:
            where |= Q(namespace_id=namespace_id)
        return self.filter(where)


class Webhook(models.Model):
    repository = models.ForeignKey(
        "hub.Repository", null=True, blank=True, on_delete=models.CASCADE, related_name="webhooks"
    )
    namespace = models.ForeignKey(
        "hub.Namespace", null=True, blank=True, on_delete=models.CASCADE, related_name="webhooks"
    )
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)  # actions of hub.events.WEBHOOK_ACTIONS
    secret = models.TextField(blank=True)  # encrypted (hub.crypto); write-only everywhere
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Since the first failed attempt after the last success; None while it works.
    failing_since = models.DateTimeField(null=True, blank=True)
    # Why Wharf turned it off (failing for days); cleared when someone turns it on again.
    disabled_reason = models.CharField(max_length=500, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)

    objects = WebhookQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(repository__isnull=False, namespace__isnull=True)
                | Q(repository__isnull=True, namespace__isnull=False),
                name="webhooks_webhook_one_target",
            )
        ]
        indexes = [models.Index(fields=["active", "failing_since"], name="webhooks_failing")]

    def __str__(self) -> str:
        return f"{self.name} → {self.url}"

    @property
    def has_secret(self) -> bool:
        return bool(self.secret)

    def secret_value(self) -> str:
        """The secret in clear; ``crypto.Unreadable`` when SECRET_KEY changed since."""
        return crypto.decrypt(self.secret)

    def set_secret(self, value: str) -> None:
        self.secret = crypto.encrypt(value)

    @property
    def scope(self) -> str:
        return "repository" if self.repository_id else "namespace"

    def target_name(self) -> str:
        """``alice/app`` or ``alice``: what the webhook covers."""
        if self.repository_id:
            return self.repository.full_name
        return self.namespace.name


class DeliveryQuerySet(models.QuerySet):
    def due(self, now):
        """Waiting for an attempt whose time has come, and not held by a worker."""
        return self.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now).filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
        )


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"  # an attempt is due or running, or a retry is scheduled
        SUCCESS = "success"  # a 2xx answer
        FAILED = "failed"  # the retries ran out, or it could not be sent at all

    class CallbackState(models.TextChoices):
        SUCCESS = "success"
        FAILURE = "failure"
        ERROR = "error"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    # None for test pings; the audit log's retention may remove the event, never the delivery.
    event = models.ForeignKey(
        "audit.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40)  # the X-Wharf-Event header: push, delete, ping…
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payload = models.TextField()  # the exact JSON body sent (UTF-8), signed as it is
    # Test pings and redeliveries: one attempt, sent whether or not the webhook is active.
    manual = models.BooleanField(default=False)
    redelivery_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, null=True, blank=True)
    # Set while a worker makes an attempt (the conditional UPDATE that claims it).
    claimed_until = models.DateTimeField(null=True, blank=True)
    # The last attempt's outcome, as the history's row shows it.
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)  # its first KB, decoded
    error = models.CharField(max_length=500, blank=True)
    # What the receiver reported to callback_url (Docker Hub's callback).
    callback_state = models.CharField(max_length=10, choices=CallbackState.choices, blank=True)
    callback_description = models.CharField(max_length=255, blank=True)
    callback_context = models.CharField(max_length=100, blank=True)
    callback_target_url = models.URLField(max_length=500, blank=True)
    callback_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["webhook", "-created_at"], name="webhooks_delivery_history"),
            models.Index(fields=["status", "next_attempt_at"], name="webhooks_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.uuid} ({self.status})"


class DeliveryAttempt(models.Model):
    """One try at sending a delivery: when, what came back, how long it took."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_rows")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhooks_attempt_unique")
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}: {self.response_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.response_code is not None and 200 <= self.response_code < 300
