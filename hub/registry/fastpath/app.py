"""The ASGI app in front of Django that answers the registry's reads from cache.

Served here: ``GET /v2/`` with a bearer token, GET/HEAD of a manifest by tag or digest, GET/HEAD
of a blob (whole, no Range). Everything else, and every request this cannot answer exactly as
the views would, goes to Django (``self.app``) untouched: nothing here ever answers an error.
"""

import asyncio
import logging
import os
import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import jwt
import redis
from django.conf import settings
from django.db import DatabaseError
from django.http.request import split_domain_port, validate_host

from hub import dbconn, events, pulls
from hub.middleware import policy_for
from hub.registry import access, mediatypes, names, tokens
from hub.registry.errors import BlobUnknown, RegistryError, Unauthorized
from hub.registry.fastpath import epochs, loaders, token
from hub.registry.fastpath.cache import Cache
from hub.registry.storage import get_store
from hub.registry.views.base import empty

logger = logging.getLogger(__name__)

MANIFEST_RE = re.compile(r"^/v2/(?P<name>.+?)/manifests/(?P<reference>[A-Za-z0-9_.:=+-]+)$")
UPLOAD_RE = re.compile(r"^/v2/(?P<name>.+?)/blobs/uploads/?$")
BLOB_RE = re.compile(r"^/v2/(?P<name>.+?)/blobs/(?P<digest>sha256:[a-f0-9]{64})$")
API_VERSION = (b"docker-distribution-api-version", b"registry/2.0")
# What Django's middleware adds to every registry answer (SecurityMiddleware,
# XFrameOptionsMiddleware); tests compare the two paths' headers.
COMMON_HEADERS = [
    API_VERSION,
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
WHOLE_READ = 4 * 1024 * 1024  # blobs up to this are read and sent in one piece
STREAM_CHUNK = 2 * 1024 * 1024

# Served and passed-on requests, per process: what tests and benches look at.
stats: Counter = Counter()

# Queries run here, a few at a time, beside Django's own thread.
_db = ThreadPoolExecutor(max_workers=4, thread_name_prefix="wharf-fastpath-db")
_grants = Cache(max_entries=20_000)  # verified bearer tokens
_rights = Cache(max_entries=20_000)
_manifests = Cache(max_entries=4_096, max_bytes=64 * 1024 * 1024)
_blobs = Cache(max_entries=20_000)


def clear() -> None:
    """Forget every cached answer of this process (tests)."""
    for cache in (_grants, _rights, _manifests, _blobs):
        cache.clear()
    token.clear()


class Decline(Exception):
    """Django answers this one."""


async def _in_db_thread(fn, *args):
    return await asyncio.get_running_loop().run_in_executor(_db, _releasing, fn, *args)


def _releasing(fn, *args):
    """``fn(*args)`` in a query thread; a pooled connection goes back to the pool after it
    (kept by the thread, one would be lost to every request). Unpooled ones stay open."""
    try:
        return fn(*args)
    finally:
        dbconn.release_if_pooled()


def _headers(scope) -> dict[bytes, bytes]:
    return dict(scope["headers"])


def _grant(authorization: bytes) -> tuple[str, tokens.Grant | None]:
    """(cache key, grant) of the request's credential: ("", None) when anonymous."""
    if not authorization:
        return "", None
    scheme, _, value = authorization.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer":
        raise Decline  # Basic credentials: passwords are checked by Django's views
    token = value.strip()
    grant = _grants.get(token)
    if grant is None:
        try:
            grant = tokens.verify(token)
        except jwt.InvalidTokenError:
            raise Decline from None
        if grant.build:
            raise Decline  # a build's token ends with its step: checked on every request
        _grants.put(token, grant, ttl=max(grant.expires - time.time(), 0))
    if time.time() > grant.expires + tokens.LEEWAY:
        raise Decline
    return token, grant


async def _rights_for(token: str, grant, full_name: str | None, epoch: tuple) -> loaders.Rights:
    key = (epoch, token, full_name)
    rights = _rights.get(key)
    if rights is None:
        if grant is not None and full_name is not None:
            if not grant.allows("repository", full_name, "pull"):
                raise Decline
        rights = await _in_db_thread(loaders.rights, grant, full_name)
        if rights is None:
            raise Decline
        _rights.put(key, rights, ttl=rights.ttl)
    return rights


def _check_host(headers: dict[bytes, bytes]) -> None:
    """The Host header Django would accept (ALLOWED_HOSTS), else Django answers 400."""
    host = headers.get(b"host", b"").decode("latin-1")
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        raise Decline


def _pull(grant, scope, repository_id: int, reference: str) -> dict:
    """The pull's stream entry, as far as the token tells who pulled (the flush looks up the
    account and the access token's name)."""
    if grant is None or not grant.subject:
        actor = events.EventActor(kind="anonymous", ip=_client_ip(scope))
    else:
        kind = (
            "build" if grant.build else "robot" if grant.robot else "token" if grant.pat else "user"
        )
        actor = events.EventActor(kind=kind, name=grant.subject, ip=_client_ip(scope))
    return pulls.pull_entry(
        repository_id=repository_id,
        actor=actor,
        reference=reference,
        pat=grant.pat if grant else "",
    )


def _client_ip(scope) -> str | None:
    client = scope.get("client")
    return client[0] if client else None


class FastPath:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and (
            (scope["method"] in ("GET", "HEAD") and scope["path"].startswith("/v2/"))
            or (scope["method"] == "GET" and scope["path"] == "/token")
            or (scope["method"] == "POST" and UPLOAD_RE.match(scope["path"]))
        ):
            try:
                answer = await self._answer(scope)
            except (Decline, token.Decline, RegistryError):
                answer = None
            except (redis.RedisError, DatabaseError, OSError):
                # Redis or the database is away: Django says what is wrong.
                logger.debug("registry fast path passed on %s", scope["path"], exc_info=True)
                answer = None
            except Exception:
                logger.exception("registry fast path failed on %s", scope["path"])
                answer = None
            if answer is not None:
                stats["served"] += 1
                await answer(send)
                return
            stats["passed"] += 1
        await self.app(scope, receive, send)

    async def _answer(self, scope):
        path, head = scope["path"], scope["method"] == "HEAD"
        headers = _headers(scope)
        _check_host(headers)
        if path == "/token":
            return await token.answer(scope, headers, _in_db_thread, COMMON_HEADERS)
        token_key, grant = _grant(headers.get(b"authorization", b""))
        if scope["method"] == "POST":
            return await self._upload_start(UPLOAD_RE.match(path)["name"], token_key, grant,
                                            scope, headers)  # fmt: skip
        if path == "/v2/":
            if grant is None:  # challenged, with the realm at the address it came in on
                if b"authorization" in headers:
                    raise Decline
                tokens.set_base(scope["scheme"], headers[b"host"].decode("latin-1"))
                return _django_answer(Unauthorized(headers=access.challenge()).response(), head)
            epoch = await epochs.current(None)
            await _rights_for(token_key, grant, None, epoch)
            return _probe(head)
        if match := MANIFEST_RE.match(path):
            return await self._manifest(match["name"], match["reference"], token_key, grant, head,
                                        headers, scope)  # fmt: skip
        if match := BLOB_RE.match(path):
            if b"range" in headers:
                raise Decline
            return await self._blob(match["name"], match["digest"], token_key, grant, head)
        raise Decline

    async def _manifest(self, name, reference, token, grant, head, headers, scope):
        names.split(name)
        epoch = await epochs.current(name)
        rights = await _rights_for(token, grant, name, epoch)
        if rights.proxied:
            raise Decline
        key = (epoch, rights.repository_id, reference)
        stored = _manifests.get(key)
        if stored is None:
            stored = await _in_db_thread(loaders.manifest, rights.repository_id, reference)
            if stored is None:
                raise Decline
            _manifests.put(
                key, stored, ttl=settings.WHARF_REGISTRY_CACHE_SECONDS, size=len(stored.content)
            )
        accept = headers.get(b"accept", b"").decode("latin-1")
        if not mediatypes.acceptable(accept, stored.media_type):
            raise Decline
        if not head and not stored.platform_child:
            await epochs.count_pull(_pull(grant, scope, rights.repository_id, reference))
        response_headers = [
            (b"content-type", stored.media_type.encode()),
            (b"content-length", str(len(stored.content)).encode()),
            (b"docker-content-digest", stored.digest.encode()),
            (b"etag", f'"{stored.digest}"'.encode()),
            *COMMON_HEADERS,
        ]
        body = b"" if head else stored.content

        async def answer(send):
            await send({"type": "http.response.start", "status": 200, "headers": response_headers})
            await send({"type": "http.response.body", "body": body})

        return answer

    async def _upload_start(self, name, token, grant, scope, headers):
        """``POST …/blobs/uploads/`` without a body or parameters (mounts and monolithic uploads
        go to Django), into a repository that exists, by a token that may push to it."""
        if scope["query_string"] or headers.get(b"content-length", b"0") != b"0":
            raise Decline
        if b"transfer-encoding" in headers or grant is None:
            raise Decline
        if not grant.allows("repository", name, "push"):
            raise Decline
        names.split(name)
        epoch = await epochs.current(name)
        rights = await _rights_for(token, grant, name, epoch)
        if not rights.push:
            raise Decline
        upload_id = await _in_db_thread(loaders.upload_start, rights.repository_id)
        response = empty(
            202,
            Location=f"/v2/{name}/blobs/uploads/{upload_id}",
            Range="0-0",
            Docker_Upload_UUID=upload_id,
        )
        return _django_answer(response, head=False)

    async def _blob(self, name, digest, token, grant, head):
        names.split(name)
        store = get_store()
        if not hasattr(store, "blob_path"):
            raise Decline
        epoch = await epochs.current(name)
        rights = await _rights_for(token, grant, name, epoch)
        pusher = head and rights.push and grant is not None
        if pusher and grant.allows("repository", name, "push"):
            # A pusher asking whether to upload: the blob counts as freshly used (gc spares it
            # until the manifest arrives); unknown or gone meanwhile, the client uploads.
            if not store.exists(digest):
                return _django_answer(BlobUnknown(detail={"digest": digest}).response(), head)
            size = await _in_db_thread(loaders.blob_touch, rights.repository_id, digest)
        else:
            key = (epoch, rights.repository_id, digest)
            size = _blobs.get(key)
            if size is None:
                size = await _in_db_thread(loaders.blob_size, rights.repository_id, digest)
                if size is not None:
                    _blobs.put(key, size, ttl=settings.WHARF_REGISTRY_CACHE_SECONDS)
        if size is None and rights.proxied:
            raise Decline  # not cached yet: Django fetches it from upstream
        if size is None:
            return _django_answer(BlobUnknown(detail={"digest": digest}).response(), head)
        try:
            fd = os.open(store.blob_path(digest), os.O_RDONLY)
        except FileNotFoundError:
            raise Decline from None  # collected meanwhile: Django says BLOB_UNKNOWN
        response_headers = [
            (b"content-length", str(size).encode()),
            (b"content-type", b"application/octet-stream"),
            (b"docker-content-digest", digest.encode()),
            (b"accept-ranges", b"bytes"),
            (b"etag", f'"{digest}"'.encode()),
            (b"cache-control", b"max-age=31536000"),
            *COMMON_HEADERS,
        ]
        if head:
            os.close(fd)

            async def answer(send):
                await send(
                    {"type": "http.response.start", "status": 200, "headers": response_headers}
                )
                await send({"type": "http.response.body", "body": b""})

            return answer

        async def answer(send):
            try:
                await send(
                    {"type": "http.response.start", "status": 200, "headers": response_headers}
                )
                await _send_file(send, fd, size)
            finally:
                os.close(fd)

        return answer


async def _send_file(send, fd: int, size: int) -> None:
    loop = asyncio.get_running_loop()
    if size <= WHOLE_READ:
        body = await loop.run_in_executor(None, os.pread, fd, size, 0)
        await send({"type": "http.response.body", "body": body})
        return
    offset = 0
    while offset < size:
        chunk = await loop.run_in_executor(None, os.pread, fd, min(STREAM_CHUNK, size - offset),
                                           offset)  # fmt: skip
        if not chunk:
            break  # the file is shorter than its row says: end the body short, never pad it
        offset += len(chunk)
        await send({"type": "http.response.body", "body": chunk, "more_body": offset < size})
    if offset < size:
        raise OSError(f"blob file ended at {offset} of {size} bytes")


def _django_answer(response, head: bool):
    """A Django response (a registry error's, say) sent as the views' would be: with the
    headers the registry views and Django's middleware add."""
    headers = {name.lower(): value for name, value in response.items()}
    if policy := policy_for(response):  # a text/html answer, as Django's default type is
        headers["content-security-policy"] = policy
    for name, value in COMMON_HEADERS:
        headers.setdefault(name.decode(), value.decode())
    body = response.content
    headers.setdefault("content-length", str(len(body)))
    response_headers = [(name.encode(), value.encode("latin-1")) for name, value in headers.items()]
    status = response.status_code
    body = b"" if head else body

    async def answer(send):
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": body})

    return answer


def _probe(head: bool):
    body = b"" if head else b"{}"
    response_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body) if not head else 2).encode()),
        *COMMON_HEADERS,
    ]

    async def answer(send):
        await send({"type": "http.response.start", "status": 200, "headers": response_headers})
        await send({"type": "http.response.body", "body": body})

    return answer
