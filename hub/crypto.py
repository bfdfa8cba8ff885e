"""Secrets Wharf must read back (git tokens, secret build values), stored encrypted.

Fernet (AES-128-CBC with an HMAC-SHA256, from ``cryptography``) under a key derived from
SECRET_KEY for this purpose only, so a database dump alone reveals none of them. Changing
SECRET_KEY makes them unreadable: ``decrypt`` then raises ``Unreadable`` and the owner sets the
value again.
"""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

PREFIX = "fernet:"


class Unreadable(ValueError):
    """An encrypted value that this SECRET_KEY cannot open."""


@cache
def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(b"wharf-stored-secrets:" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(text: str) -> str:
    """``text`` encrypted, as printable ASCII; empty stays empty (nothing is stored)."""
    if not text:
        return ""
    return PREFIX + _fernet(settings.SECRET_KEY).encrypt(text.encode()).decode("ascii")


def decrypt(stored: str) -> str:
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        raise Unreadable("not an encrypted value")
    try:
        return _fernet(settings.SECRET_KEY).decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise Unreadable("encrypted under another SECRET_KEY") from None
