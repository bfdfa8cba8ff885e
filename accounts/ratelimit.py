"""Failed sign-in counting per (account name, client address), kept in Redis.

A fixed window: the first failure starts a window of WHARF_LOGIN_LOCKOUT_SECONDS; once
WHARF_LOGIN_MAX_FAILURES failures sit in it, sign-in for that name from that address is refused
until the window ends. Keyed by name *and* address so an attacker elsewhere cannot lock a person
out of their own account.
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings

from hub.redisconn import get_redis, key


@dataclass(frozen=True)
class Lockout:
    locked: bool
    retry_after: int  # seconds until the window ends; 0 when not locked


def _key(login: str, address: str) -> str:
    digest = hashlib.sha256(f"{login.strip().lower()}\0{address}".encode()).hexdigest()[:32]
    return key("login-failures", digest)


def login_lockout(*, login: str, address: str) -> Lockout:
    client = get_redis()
    k = _key(login, address)
    count = int(client.get(k) or 0)
    if count < settings.WHARF_LOGIN_MAX_FAILURES:
        return Lockout(False, 0)
    return Lockout(True, max(client.ttl(k), 1))


def login_failure_record(*, login: str, address: str) -> None:
    client = get_redis()
    k = _key(login, address)
    pipe = client.pipeline()
    # The first failure creates the key with the window's expiry; INCR keeps that expiry, so
    # later failures never extend the window. (Works on Redis 6 too, unlike EXPIRE NX.)
    pipe.set(k, 0, ex=settings.WHARF_LOGIN_LOCKOUT_SECONDS, nx=True)
    pipe.incr(k)
    pipe.execute()


def login_failures_clear(*, login: str, address: str) -> None:
    get_redis().delete(_key(login, address))
