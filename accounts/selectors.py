from django.db.models import F

from accounts.models import AccessToken, User


def access_token_list(*, user: User):
    """A user's tokens: those not revoked first (nulls first on every database), newest first."""
    return AccessToken.objects.filter(user=user).order_by(
        F("revoked_at").asc(nulls_first=True), "-created_at"
    )


def user_get_by_login(*, login: str) -> User | None:
    """The account a sign-in name refers to: a username, or an email address."""
    login = login.strip()
    if "@" in login:
        return User.objects.filter(email__iexact=login).first()
    return User.objects.filter(username=login.lower()).first()


def access_token_expired(*, raw: str) -> AccessToken | None:
    """The token with this secret if it has expired (and was not revoked), to say so instead of
    "invalid": only the token's holder knows its secret, so this tells no one else anything."""
    if not raw.startswith(AccessToken.PREFIX):
        return None
    token = AccessToken.objects.filter(
        token_hash=AccessToken.hash(raw), revoked_at__isnull=True, user__is_active=True
    ).first()
    return token if token is not None and token.is_expired() else None
