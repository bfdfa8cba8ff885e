from accounts.models import AccessToken, User


def access_token_list(*, user: User):
    return AccessToken.objects.filter(user=user).order_by("revoked_at", "-created_at")


def user_get_by_login(*, login: str) -> User | None:
    """The account a sign-in name refers to: a username, or an email address."""
    login = login.strip()
    if "@" in login:
        return User.objects.filter(email__iexact=login).first()
    return User.objects.filter(username=login.lower()).first()
