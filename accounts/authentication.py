"""REST API authentication with personal access tokens.

``Authorization: Bearer <token>`` (what ``curl -H`` and most scripts send) and
``Authorization: Basic base64(username:token)`` (what ``docker login``-style clients send).
A header that is present but wrong is an error, never a silent fall-back to anonymous.
"""

import base64
import binascii

from rest_framework import authentication, exceptions

from accounts.services import access_token_authenticate

INVALID = "Invalid, expired or revoked access token."
WRONG_ACCOUNT = "This token belongs to another account; use that account's username."


def _authenticate_raw(raw: str, username: str | None = None):
    token = access_token_authenticate(raw=raw)
    if token is None:
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
        return _authenticate_raw(credentials)

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
        if not secret.startswith("whf_pat_"):
            raise exceptions.AuthenticationFailed(
                "Use a personal access token as the password (Settings → Access tokens)."
            )
        return _authenticate_raw(secret, username=username)
