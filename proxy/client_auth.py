"""How proxy.client signs in to an upstream: its challenge read, and the pull tokens it was given.

The distribution token flow (https://distribution.github.io/distribution/spec/auth/token/): a
registry answers ``401`` with ``WWW-Authenticate: Bearer realm=…,service=…,scope=…``; the client
asks the realm for a token for the scope and sends it as ``Authorization: Bearer``. A registry
behind htpasswd answers ``Basic realm=…`` instead and takes the username and password directly.
"""

import base64
import json
import re
import threading
import time
from collections.abc import Callable

TOKEN_TTL = 60  # seconds, when the token service does not say (the token spec's default)
EARLY = 30.0  # at most this many seconds before it expires, a token is fetched anew

_SCHEME_RE = re.compile(r"(?i)\b(bearer|basic)\b\s*")
_PARAM_RE = re.compile(r'([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))')


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """(scheme, params) of a WWW-Authenticate header, ``bearer`` preferred over ``basic``;
    ("", {}) when it offers neither."""
    found: dict[str, dict[str, str]] = {}
    for match in _SCHEME_RE.finditer(header):
        rest = header[match.end() :]
        params: dict[str, str] = {}
        for param in _PARAM_RE.finditer(rest):
            if _SCHEME_RE.match(rest, param.start()):
                break  # the next challenge of the header begins
            value = param.group(2) if param.group(2) is not None else param.group(3)
            params.setdefault(param.group(1).lower(), re.sub(r"\\(.)", r"\1", value))
        found.setdefault(match.group(1).lower(), params)
    for scheme in ("bearer", "basic"):
        if scheme in found:
            return scheme, found[scheme]
    return "", {}


def basic_header(username: str, password: str) -> dict:
    pair = f"{username}:{password}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def token_of(body: bytes) -> tuple[str, int] | None:
    """(token, seconds it lasts) of a token service's answer; ``token`` or OAuth2's
    ``access_token`` (Docker Hub sends both, other services one of them)."""
    try:
        doc = json.loads(body)
        token = doc.get("token") or doc.get("access_token")
        ttl = int(doc.get("expires_in") or TOKEN_TTL)
    except (ValueError, TypeError, AttributeError):
        return None
    if not token or not isinstance(token, str):
        return None
    return token, max(ttl, 1)


class TokenCache:
    """Pull tokens by scope, each until shortly before it expires. Thread-safe; ``fetch``
    runs once per scope at a time, so threads waiting on it share the token it got."""

    def __init__(self):
        self.fetches = 0
        self._tokens: dict[str, tuple[str, float]] = {}  # scope → (token, monotonic expiry)
        self._lock = threading.Lock()
        self._fetching: dict[str, threading.Lock] = {}

    def get(self, scope: str) -> str:
        with self._lock:
            token, expires = self._tokens.get(scope, ("", 0.0))
        return token if token and time.monotonic() < expires else ""

    def tokens(self) -> list[str]:
        with self._lock:
            return [token for token, _ in self._tokens.values()]

    def fresh(self, scope: str, *, stale: str, fetch: Callable[[], tuple[str, int]]) -> str:
        """A token for ``scope`` other than ``stale`` (one the upstream just refused)."""
        with self._lock:
            lock = self._fetching.setdefault(scope, threading.Lock())
        with lock:
            token = self.get(scope)
            if token and token != stale:
                return token  # fetched by another thread meanwhile
            with self._lock:
                self.fetches += 1
            token, ttl = fetch()
            with self._lock:
                # Dropped a little early, so a token never expires between check and use.
                self._tokens[scope] = (token, time.monotonic() + ttl - min(EARLY, ttl / 4))
            return token
