"""Locks in Redis for work that must not run twice at once anywhere: one holder among all the
processes and hosts that share REDIS_URL (and WHARF_REDIS_PREFIX).

``SET NX`` with an expiry, whose value is a random token (and who holds it, for the messages of
those turned away). While the work runs, a thread of the holder renews the expiry; the release
deletes the key only if it still holds the holder's token (compare-and-delete in Lua), so a
holder that lost its lock — renewals failed past the expiry, and another run took it — never
frees the newcomer's. A holder that dies (killed, its host gone) stops renewing, and its key
expires within ``ttl`` seconds: the next run goes ahead.

Not a fencing lock: a holder cut off from Redis for longer than ``ttl`` may overlap with the next
one. What it guards must therefore be safe (if wasteful) to run twice, as gc is (each blob is
re-checked under its row lock); the lock saves the double work and the noise.
"""

import logging
import os
import socket
import threading
import uuid

import redis

from hub.redisconn import get_redis, key

log = logging.getLogger(__name__)

# Renew only our own key: another holder's (after ours expired) is left alone.
_RENEW = """
if redis.call("get", KEYS[1]) == ARGV[1] then
    return redis.call("pexpire", KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call("get", KEYS[1]) == ARGV[1] then
    return redis.call("del", KEYS[1])
end
return 0
"""


class Lock:
    """``Lock("registry-gc").acquire()``: True for the one holder, False for everyone else.

    Held until ``release()`` (or until it expires, ``ttl`` seconds after its holder stops
    renewing it). Not reentrant; one acquire per object.
    """

    def __init__(self, name: str, *, ttl: float = 60.0):
        self.name = name
        self.key = key("lock", name)
        self.ttl = ttl
        # The holder's token first, then where it runs: messages show the second half.
        self.value = f"{uuid.uuid4().hex} {socket.gethostname()}:{os.getpid()}"
        self.lost = False  # set when a renewal found the key no longer ours
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def acquire(self) -> bool:
        """Take the lock if nobody holds it; raises redis.RedisError when Redis is away."""
        if not get_redis().set(self.key, self.value, nx=True, px=int(self.ttl * 1000)):
            return False
        self._renewer = threading.Thread(
            target=self._renew, name=f"wharf-lock-{self.name}", daemon=True
        )
        self._renewer.start()
        return True

    def holder(self) -> str:
        """Where the current holder runs (``host:pid``); empty when nobody holds the lock."""
        try:
            value = get_redis().get(self.key)
        except redis.RedisError:
            return ""
        return value.decode().partition(" ")[2] if value else ""

    def _renew(self) -> None:
        # Three chances per expiry: one Redis hiccup (2 s client timeout) does not lose it.
        while not self._stop.wait(self.ttl / 3):
            try:
                renewed = get_redis().eval(_RENEW, 1, self.key, self.value, int(self.ttl * 1000))
            except redis.RedisError as exc:
                log.warning("lock %s: could not renew it (%s); trying again", self.name, exc)
                continue
            if not renewed:
                self.lost = True
                log.warning(
                    "lock %s expired while held (Redis unreachable for %g s?); another run "
                    "may be going on at the same time",
                    self.name,
                    self.ttl,
                )
                return

    def release(self) -> None:
        """Stop renewing and free the lock, if it is still ours. Never raises: a lock that
        cannot be freed expires by itself."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
        try:
            get_redis().eval(_RELEASE, 1, self.key, self.value)
        except redis.RedisError as exc:
            log.warning("lock %s: not released (%s); it expires in %g s", self.name, exc, self.ttl)
