import hashlib
import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.names import HELP_TEXT, MAX_LENGTH, validate_username


class User(AbstractUser):
    """A person with a Docker ID; the username is also their registry namespace."""

    username = models.CharField(
        "username",
        # People's names are at most MAX_LENGTH (the validator); robots' (org+name) longer.
        max_length=2 * MAX_LENGTH + 1,
        unique=True,
        help_text=HELP_TEXT,
        validators=[validate_username],
        error_messages={"unique": "That username is taken."},
    )
    email = models.EmailField("email address")

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="accounts_user_email_ci_unique",
                violation_error_message="An account with this email address already exists.",
            )
        ]

    def __str__(self) -> str:
        return self.username


class AccessTokenQuerySet(models.QuerySet):
    def active(self, now=None):
        """Tokens that work now: not revoked, not expired, of an active account."""
        unexpired = models.Q(expires_at__isnull=True) | models.Q(
            expires_at__gt=now or timezone.now()
        )
        return self.filter(unexpired, revoked_at__isnull=True, user__is_active=True)


class AccessToken(models.Model):
    """A personal access token: a password substitute with a scope, stored only as a hash."""

    PREFIX = "whf_pat_"

    class Scope(models.TextChoices):
        READ = "read", "Read-only"
        READ_WRITE = "read_write", "Read & Write"
        READ_WRITE_DELETE = "read_write_delete", "Read, Write & Delete"

    class Expiry(models.TextChoices):
        # What the form offers, as Docker Hub does: a number of days from creation, or never.
        NONE = "", "None"
        DAYS_30 = "30", "30 days"
        DAYS_90 = "90", "90 days"
        DAYS_365 = "365", "365 days"

    # What each scope grants; "read" is pull/list, "write" push/edit, "delete" remove.
    GRANTS = {
        Scope.READ: frozenset({"read"}),
        Scope.READ_WRITE: frozenset({"read", "write"}),
        Scope.READ_WRITE_DELETE: frozenset({"read", "write", "delete"}),
    }

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="access_tokens")
    description = models.CharField(max_length=100)
    scope = models.CharField(max_length=20, choices=Scope.choices, default=Scope.READ)
    # The first characters, kept so people can tell their tokens apart in lists.
    token_start = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # None: works until revoked. Past it, every door (API, registry, token endpoint) refuses it.
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = AccessTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} · {self.description}"

    @staticmethod
    def hash(raw: str) -> str:
        # Tokens carry 160+ bits of randomness, so a fast hash is enough to make a stolen
        # database useless; a slow KDF would only slow down every API call.
        return hashlib.sha256(raw.encode()).hexdigest()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def is_active(self) -> bool:
        return not self.is_revoked and not self.is_expired()

    def grants(self, action: str) -> bool:
        return action in self.GRANTS[self.Scope(self.scope)]
