"""REST API authentication: API tokens from ``/api/v2/users/login`` and personal access tokens.

``Authorization: Bearer <token>`` (what ``curl -H`` and most scripts send) takes either a personal
access token (``whf_pat_…``) or the short-lived JWT that ``POST /api/v2/users/login`` returns for a
username and password, as Docker Hub's API does. ``Authorization: Basic base64(username:token)``
(what ``docker login``-style clients send) takes personal access tokens, and robots' secrets
(``acme+ci:whf_robot_…``; a bare robot secret works as a Bearer token too).
A header that is present but wrong is an error, never a silent fall-back to anonymous.
"""

import base64
import binascii
import hashlib
import hmac
import time
from dataclasses import dataclass

import jwt
from django.conf import settings
from rest_framework import authentication, exceptions

from accounts.models import AccessToken, User
from accounts.selectors import access_token_expired
from accounts.services import access_token_authenticate

INVALID = "Invalid, expired or revoked access token."
EXPIRED = (
    "This access token (“{name}”) expired on {date:%Y-%m-%d}; create a new one under "
    "Settings → Access tokens."
)
INVALID_ROBOT = "Invalid, expired or revoked robot secret."
ROBOT_PREFIX = "whf_robot_"  # orgs.models.Robot.PREFIX (accounts does not import orgs at load)
INVALID_API_TOKEN = "Invalid or expired token; sign in again with POST /api/v2/users/login."
WRONG_ACCOUNT = "This token belongs to another account; use that account's username."

API_TOKEN_ALGORITHM = "HS256"
API_TOKEN_AUDIENCE = "wharf-api"
API_TOKEN_TTL = 24 * 3600  # seconds; settings.WHARF_API_TOKEN_TTL (env) overrides it


def _api_token_key() -> bytes:
    # A key of its own, derived from SECRET_KEY, so API tokens, registry tokens and sessions never
    # share one: a registry token presented here fails verification, and the other way round.
    return hashlib.sha256(b"wharf-api-token:" + settings.SECRET_KEY.encode()).digest()


def _password_stamp(user: User) -> str:
    # Changes whenever the password does (Django's session hash is an HMAC of the password hash),
    # so changing a password signs out every API token too, as it does every session.
    return hashlib.sha256(b"wharf-api-pw:" + user.get_session_auth_hash().encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ApiToken:
    """What ``request.auth`` holds for a request made with an API token (full account rights)."""

    subject: str
    expires_at: int


def api_token_ttl() -> int:
    return int(getattr(settings, "WHARF_API_TOKEN_TTL", API_TOKEN_TTL))


def api_token_issue(*, user: User) -> str:
    """A signed JWT standing for ``user`` until it expires or their password changes."""
    now = int(time.time())
    claims = {
        "sub": user.username,
        "aud": API_TOKEN_AUDIENCE,
        "iat": now,
        "nbf": now - 5,
        "exp": now + api_token_ttl(),
        "pwd": _password_stamp(user),
    }
    return jwt.encode(claims, _api_token_key(), algorithm=API_TOKEN_ALGORITHM)


def api_token_authenticate(*, raw: str) -> tuple[User, ApiToken] | None:
    """(user, token) for a valid API token of an active account; None otherwise."""
    try:
        claims = jwt.decode(
            raw,
            _api_token_key(),
            algorithms=[API_TOKEN_ALGORITHM],
            audience=API_TOKEN_AUDIENCE,
            options={"require": ["sub", "aud", "iat", "exp", "pwd"]},
            leeway=5,
        )
    except jwt.InvalidTokenError:
        return None
    user = User.objects.filter(username=str(claims["sub"]), is_active=True).first()
    if user is None or not hmac.compare_digest(str(claims["pwd"]), _password_stamp(user)):
        return None
    return user, ApiToken(subject=user.username, expires_at=int(claims["exp"]))


def _authenticate_raw(raw: str, username: str | None = None):
    if raw.startswith(ROBOT_PREFIX):
        from orgs.robots import robot_authenticate

        robot = robot_authenticate(raw=raw)
        if robot is None:
            raise exceptions.AuthenticationFailed(INVALID_ROBOT)
        if username is not None and robot.user.username != username:
            raise exceptions.AuthenticationFailed(WRONG_ACCOUNT)
        return robot.user, robot
    token = access_token_authenticate(raw=raw)
    if token is None:
        expired = access_token_expired(raw=raw)
        if expired is not None and username in (None, expired.user.username):
            raise exceptions.AuthenticationFailed(
                EXPIRED.format(name=expired.description, date=expired.expires_at)
            )
        raise exceptions.AuthenticationFailed(INVALID)
    if username is not None and token.user.username != username:
        # Still refused (a token only stands for its owner), but the token itself is fine, so
        # point at the name rather than sending people off to make a new token.
        raise exceptions.AuthenticationFailed(WRONG_ACCOUNT)
    return token.user, token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        credentials = credentials.strip()
        if not credentials or " " in credentials:
            raise exceptions.AuthenticationFailed("Malformed Bearer header: expected one token.")
        if credentials.startswith((AccessToken.PREFIX, ROBOT_PREFIX)):
            return _authenticate_raw(credentials)
        authenticated = api_token_authenticate(raw=credentials)
        if authenticated is None:
            raise exceptions.AuthenticationFailed(INVALID_API_TOKEN)
        return authenticated

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class BasicTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise exceptions.AuthenticationFailed("Malformed Basic header.") from None
        username, sep, secret = decoded.partition(":")
        if not sep:
            raise exceptions.AuthenticationFailed("Malformed Basic header.")
        if not secret.startswith((AccessToken.PREFIX, ROBOT_PREFIX)):
            raise exceptions.AuthenticationFailed(
                "Use a personal access token (Settings → Access tokens) or a robot's secret as "
                "the password."
            )
        return _authenticate_raw(secret, username=username)
