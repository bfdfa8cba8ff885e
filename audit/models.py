"""The audit log: every event ``hub.events.event_record`` records, one row each.

Rows outlive what they name: a deleted repository's or user's events keep the names they had
(``repository_name``, ``actor_name``), so "who deleted that repository?" still has an answer.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class EventQuerySet(models.QuerySet):
    def of_namespace(self, name: str):
        return self.filter(namespace=name)

    def of_repository(self, repository):
        return self.filter(repository=repository)


class Event(models.Model):
    class ActorKind(models.TextChoices):
        USER = "user"  # a password or a browser session
        TOKEN = "token"  # a personal access token (its name in token_name)
        ROBOT = "robot"
        BUILD = "build"  # a build's own credential, on behalf of whoever triggered it
        ANONYMOUS = "anonymous"
        SYSTEM = "system"  # the worker: garbage collection, scheduled work

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=40, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    actor_kind = models.CharField(max_length=12, choices=ActorKind.choices)
    token_name = models.CharField(max_length=100, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    namespace = models.CharField(max_length=255, blank=True)
    repository = models.ForeignKey(
        "hub.Repository", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    repository_name = models.CharField(max_length=255, blank=True)
    tag = models.CharField(max_length=128, blank=True)
    digest = models.CharField(max_length=150, blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["namespace", "-occurred_at"], name="audit_ns_time"),
            models.Index(fields=["repository", "-occurred_at"], name="audit_repo_time"),
        ]

    def __str__(self) -> str:
        who = self.actor_name or self.actor_kind
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {who} {self.action}"
