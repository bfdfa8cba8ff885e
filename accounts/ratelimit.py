"""Failed sign-in counting per (account name, client address), kept in Redis.

A fixed window: the first failure starts a window of WHARF_LOGIN_LOCKOUT_SECONDS; once
WHARF_LOGIN_MAX_FAILURES failures sit in it, sign-in for that name from that address is refused
until the window ends. Keyed by name *and* address so an attacker elsewhere cannot lock a person
out of their own account.

Without Redis nothing can be counted, so sign-in is refused (RateLimitUnavailable, a 503 on
every surface), never let through unlimited.
"""

import functools
import hashlib
import logging
from dataclasses import dataclass

import redis
from django.conf import settings

from hub.redisconn import get_redis, key

logger = logging.getLogger(__name__)


class RateLimitUnavailable(Exception):
    """Redis did not answer (down, or hanging past the client's timeout)."""

    message = (
        "Sign-in is unavailable for a moment: Wharf cannot reach its rate-limit store (Redis). "
        "Try again shortly."
    )
    retry_after = 30  # seconds: what 503 answers suggest in Retry-After

    def __init__(self):
        super().__init__(self.message)


def _needs_redis(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except redis.RedisError as exc:
            logger.error("Sign-in refused: the rate-limit store (Redis) failed: %s", exc)
            raise RateLimitUnavailable() from exc

    return wrapper


@dataclass(frozen=True)
class Lockout:
    locked: bool
    retry_after: int  # seconds until the window ends; 0 when not locked


def failures_key(login: str, address: str) -> str:
    """The Redis key counting failed sign-ins of ``login`` from ``address``."""
    digest = hashlib.sha256(f"{login.strip().lower()}\0{address}".encode()).hexdigest()[:32]
    return key("login-failures", digest)


@_needs_redis
def login_lockout(*, login: str, address: str) -> Lockout:
    client = get_redis()
    k = failures_key(login, address)
    count = int(client.get(k) or 0)
    if count < settings.WHARF_LOGIN_MAX_FAILURES:
        return Lockout(False, 0)
    return Lockout(True, max(client.ttl(k), 1))


@_needs_redis
def login_failure_record(*, login: str, address: str) -> None:
    client = get_redis()
    k = failures_key(login, address)
    pipe = client.pipeline()
    # The first failure creates the key with the window's expiry; INCR keeps that expiry, so
    # later failures never extend the window. (Works on Redis 6 too, unlike EXPIRE NX.)
    pipe.set(k, 0, ex=settings.WHARF_LOGIN_LOCKOUT_SECONDS, nx=True)
    pipe.incr(k)
    pipe.execute()
    _failure_event(login, address)


def _failure_event(login: str, address: str) -> None:
    """In the audit log of the account it named (its owner sees who tried), and site-wide."""
    from accounts.models import User
    from hub.events import EventActor, event_record

    user = User.objects.filter(username=login[:150]).first()
    namespace = ""
    if user is not None:
        namespace = login.split("+", 1)[0]  # a robot's attempts belong to its namespace
    event_record(
        action="login.failed",
        actor=EventActor(kind="anonymous", ip=address or None),
        namespace=namespace,
        data={"login": login[:150]},
    )


@_needs_redis
def login_failures_clear(*, login: str, address: str) -> None:
    get_redis().delete(failures_key(login, address))
