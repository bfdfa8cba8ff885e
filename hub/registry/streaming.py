"""How request bodies reach the views: none is received whole before anyone has looked at it.

Django's ASGI handler reads a whole request body into a temporary file before any view runs, so
anyone could make Wharf store any amount of data before authentication said no. This handler
receives three kinds of body differently; everything else — middleware, views, error handling —
is Django's own.

- Blob uploads stream from the socket to the view, with no size limit (a layer is as large as
  it is). Spooling a 1 GiB layer first would be a second full write and read of every byte, so
  the event loop coalesces the server's small chunks into 1 MiB pieces and passes them, through
  a bounded queue, to the view's thread, which hashes and writes each piece once.
- Manifest PUTs are received only as the view reads them, and the view reads only once the
  caller may push: a client that may not is answered from its headers, its body never received.
  No more than one byte past the manifest cap is ever kept.
- Every other body is spooled as Django does, up to ``DATA_UPLOAD_MAX_MEMORY_SIZE``: a larger
  Content-Length is answered 413 before a byte is received, and a body without a length
  (chunked) is cut off at the limit with the same answer.

A client that is answered early keeps the rest of its body; uvicorn discards it, unstored.
"""

import asyncio
import contextvars
import logging
import queue
import re
import tempfile

from django.conf import settings
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpResponse, JsonResponse, UnreadablePostError

from hub.registry.errors import RequestTooLarge
from hub.registry.manifests import MAX_MANIFEST_BYTES
from hub.registry.views.base import API_VERSION

logger = logging.getLogger("django.request")

PIECE = 1024 * 1024
QUEUE_PIECES = 16  # at most ~16 MiB in flight per upload: memory stays flat for any blob size
UPLOAD_PATH = re.compile(r"^/v2/.+/blobs/uploads/(?:[0-9a-f-]{36})?$")
MANIFEST_PATH = re.compile(r"^/v2/.+/manifests/[^/]+$")

# The kinds of request body (see the module docstring).
UPLOAD, MANIFEST, CAPPED = "upload", "manifest", "capped"

_EOF = object()
_ABORTED = object()
_kind: contextvars.ContextVar[str | None] = contextvars.ContextVar("wharf_body_kind", default=None)
_body: contextvars.ContextVar["StreamingBody | DeferredBody | None"] = contextvars.ContextVar(
    "wharf_body", default=None
)


def body_kind(scope: dict) -> str:
    method, path = scope.get("method"), scope.get("path", "")
    if method in ("PATCH", "PUT", "POST") and UPLOAD_PATH.match(path):
        return UPLOAD
    if method == "PUT" and MANIFEST_PATH.match(path):
        return MANIFEST
    return CAPPED


def declared_length(scope: dict) -> int | None:
    """The request's Content-Length, None when it has none (chunked) or none that parses."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:  # uvicorn refuses these itself; the capped read stops it anyway
                return None
    return None


def _size(n: int) -> str:
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"


def too_large_response(path: str, limit: int) -> HttpResponse:
    """413 in the caller's language: the API's JSON, the registry's errors, or a short page."""
    if path.startswith("/api/"):
        detail = f"Request body too large: Wharf accepts at most {_size(limit)} here."
        return JsonResponse({"detail": detail}, status=413)
    if path.startswith("/v2/") or path == "/token":
        response = RequestTooLarge(
            f"request body too large: Wharf accepts at most {_size(limit)} here",
            detail={"limit": limit},
        ).response()
        response["Docker-Distribution-API-Version"] = API_VERSION
        return response
    page = (
        '<!doctype html><html lang="en"><meta charset="utf-8">'
        "<title>Request too large · Wharf</title><h1>Request too large</h1>"
        f"<p>Wharf accepts at most {_size(limit)} in one request here. "
        "Go back and send less.</p></html>"
    )
    return HttpResponse(page, status=413, content_type="text/html; charset=utf-8")


class BodyTooLarge(Exception):
    """A body without a Content-Length ran past the limit while it was being received."""


class StreamingBody:
    """A read-only file over the request body, filled by ``pump`` on the event loop."""

    def __init__(self, receive):
        self._receive = receive
        self._queue: queue.Queue = queue.Queue(maxsize=QUEUE_PIECES)
        self._buffer = b""
        self._done = False
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._pump())

    async def _put(self, item) -> None:
        try:
            self._queue.put_nowait(item)
        except queue.Full:  # the view is behind: wait off the loop (back-pressure to the client)
            await asyncio.to_thread(self._queue.put, item)

    async def _pump(self) -> None:
        pending: list[bytes] = []
        pending_size = 0
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                await self._put(_ABORTED)
                raise RequestAborted()
            if body := message.get("body", b""):
                pending.append(body)
                pending_size += len(body)
            more = message.get("more_body", False)
            if pending_size >= PIECE or (not more and pending):
                await self._put(b"".join(pending))
                pending, pending_size = [], 0
            if not more:
                break
        await self._put(_EOF)
        # Like Django's own disconnect listener: the next message can only be a disconnect.
        message = await self._receive()
        if message["type"] == "http.disconnect":
            raise RequestAborted()

    async def wait_disconnect(self) -> None:
        await self._task

    # --- the file interface the view's thread uses (HttpRequest.read) ---
    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (fewer when a piece ends; b"" at the end), all when size < 0."""
        if size < 0:
            parts = [self._buffer]
            while piece := self._next():
                parts.append(piece)
            self._buffer = b""
            return b"".join(parts)
        if not self._buffer:
            self._buffer = self._next()
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def _next(self) -> bytes:
        if self._done:
            return b""
        item = self._queue.get()
        if item is _EOF:
            self._done = True
            return b""
        if item is _ABORTED:
            self._done = True
            raise UnreadablePostError("the client disconnected during the upload")
        return item

    def readline(self, *args) -> bytes:  # HttpRequest may probe it; uploads never use lines
        return self.read()

    def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()


class DeferredBody:
    """A read-only file over a request body that is received only as the view reads it.

    Nothing is received until the view's first ``read``; at most ``limit`` bytes are ever kept,
    and once they are, nothing more is received (the view tells "too large" by that length).
    """

    def __init__(self, receive, limit: int):
        self._receive = receive
        self._loop = asyncio.get_running_loop()
        self._limit = limit
        self._buffer = bytearray()
        self._kept = 0
        self._more = True
        # Set on the loop once the client has sent its whole body (or left): until then
        # ``receive`` belongs to the view, and the disconnect listener must not call it.
        self.received = asyncio.Event()

    async def _receive_message(self) -> dict:
        message = await self._receive()
        if message["type"] == "http.disconnect" or not message.get("more_body", False):
            self.received.set()
        return message

    def _fill(self) -> None:
        """Receive one more message; runs in the view's thread while the loop serves it."""
        future = asyncio.run_coroutine_threadsafe(self._receive_message(), self._loop)
        message = future.result()
        if message["type"] == "http.disconnect":
            self._more = False
            raise UnreadablePostError("the client disconnected before sending its whole body")
        body = message.get("body", b"")[: self._limit - self._kept]
        self._buffer += body
        self._kept += len(body)
        self._more = message.get("more_body", False) and self._kept < self._limit

    def read(self, size: int = -1) -> bytes:
        while self._more and (size < 0 or len(self._buffer) < size):
            self._fill()
        if size < 0 or size > len(self._buffer):
            size = len(self._buffer)
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def readline(self, *args) -> bytes:  # HttpRequest may probe it; manifests have no lines
        return self.read()

    def close(self) -> None:
        pass


class StreamingUploadsASGIHandler(ASGIHandler):
    """Django's ASGI handler, receiving each kind of request body as the module doc says."""

    # Django cuts response bodies into 64 KiB ASGI messages; for blob downloads each message's
    # overhead dominated (1 GiB = 16,384 sends). Pieces as large as the blob stream's are enough.
    chunk_size = 4 * 1024 * 1024

    async def handle(self, scope, receive, send):
        kind = body_kind(scope)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE if kind == CAPPED else None
        if limit is not None and (declared_length(scope) or 0) > limit:
            await self._refuse_too_large(scope, send, limit)  # from the headers alone
            return
        token = _kind.set(kind)
        try:
            await super().handle(scope, receive, send)
        except BodyTooLarge:
            await self._refuse_too_large(scope, send, limit)
        finally:
            _kind.reset(token)

    async def _refuse_too_large(self, scope, send, limit: int) -> None:
        logger.warning("Request body too large: %s %s", scope.get("method"), scope.get("path"))
        response = too_large_response(scope.get("path", ""), limit)
        await self.send_response(response, send)
        response.close()

    async def read_body(self, receive):
        kind = _kind.get()
        if kind == UPLOAD:
            body = StreamingBody(receive)
            body.start()
            _body.set(body)
            return body
        if kind == MANIFEST:
            body = DeferredBody(receive, limit=MAX_MANIFEST_BYTES + 1)
            _body.set(body)
            return body
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if kind is None or limit is None:
            return await super().read_body(receive)
        return await self._read_capped(receive, limit)

    async def _read_capped(self, receive, limit: int):
        """Django's ``read_body``, refusing the body once it runs past ``limit``."""
        body_file = tempfile.SpooledTemporaryFile(
            max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, mode="w+b"
        )
        size = 0
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise RequestAborted()
                if chunk := message.get("body", b""):
                    size += len(chunk)
                    if size > limit:
                        raise BodyTooLarge()
                    body_file.write(chunk)
                if not message.get("more_body", False):
                    break
        except BaseException:
            body_file.close()
            raise
        body_file.seek(0)
        return body_file

    async def listen_for_disconnect(self, receive):
        body = _body.get()
        if isinstance(body, StreamingBody):
            return await body.wait_disconnect()
        if isinstance(body, DeferredBody):
            # A refused client keeps its body: then this waits until Django cancels it.
            await body.received.wait()
        return await super().listen_for_disconnect(receive)
