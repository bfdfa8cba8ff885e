"""Writes on accounts and access tokens. Views, the API and the registry all call these."""

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import AccessToken, User
from hub.events import event_record
from hub.registry.fastpath import epochs

# last_used_at is written at most this often per token, so a busy client does not turn every
# request into a database write.
LAST_USED_GRANULARITY = timedelta(minutes=1)


@transaction.atomic
def user_create(*, username: str, email: str, password: str) -> User:
    """Create an account; callers validate first (forms do), the database guards uniqueness."""
    return User.objects.create_user(username=username, email=email, password=password)


class AccessTokenError(ValueError):
    """A token that cannot be made as asked; ``field`` is the form field it is about."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


EXPIRY_DAYS = tuple(int(choice) for choice in AccessToken.Expiry.values if choice)
EXPIRY_INVALID = "Expiration is 30, 90 or 365 days, or none."


def access_token_expiry(expires_in_days: int | str | None) -> timedelta | None:
    """How long a new token lasts: one of the offered numbers of days, or None (until revoked).
    Raises AccessTokenError for anything else."""
    if expires_in_days in (None, ""):
        return None
    try:
        days = int(expires_in_days)
    except (TypeError, ValueError):
        days = 0
    if days not in EXPIRY_DAYS:
        raise AccessTokenError(EXPIRY_INVALID, "expires_in_days")
    return timedelta(days=days)


@transaction.atomic
def access_token_create(
    *, user: User, description: str, scope: str, expires_in_days: int | str | None = None
) -> tuple[AccessToken, str]:
    """Create a token and return it with its secret, which is never stored and never shown again.

    With ``expires_in_days`` (30, 90 or 365) it stops working that long from now, as Docker
    Hub's tokens do; without, it works until revoked.
    """
    lifetime = access_token_expiry(expires_in_days)
    now = timezone.now()
    raw = AccessToken.PREFIX + secrets.token_urlsafe(30)
    token = AccessToken.objects.create(
        user=user,
        description=description.strip(),
        scope=AccessToken.Scope(scope),
        token_start=raw[: len(AccessToken.PREFIX) + 4],
        token_hash=AccessToken.hash(raw),
        created_at=now,
        expires_at=now + lifetime if lifetime else None,
    )
    extra = {"expires_at": token.expires_at.isoformat()} if token.expires_at else {}
    _token_event("token.created", user, token.description, scope=token.scope, **extra)
    return token, raw


@transaction.atomic
def access_token_revoke(*, token: AccessToken) -> None:
    """Revoke at once: the next request with this token fails."""
    revoked = AccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        _token_event("token.revoked", token.user, token.description)
    epochs.bump_access()  # an update() sends no signal; cached registry answers must know


def _token_event(action: str, user: User, name: str, **data) -> None:
    event_record(
        action=action, namespace=user.username, data={"token": name, "kind": "pat", **data}
    )


def access_token_authenticate(*, raw: str) -> AccessToken | None:
    """The active token with this secret (and its user), or None (also once it has expired);
    records when it was used."""
    if not raw.startswith(AccessToken.PREFIX):
        return None
    token = (
        AccessToken.objects.active()
        .select_related("user")
        .filter(token_hash=AccessToken.hash(raw))
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
