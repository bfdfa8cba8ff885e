"""Blob upload bodies stream from the socket to the view, instead of being spooled first.

Django's ASGI handler reads a whole request body into a temporary file before the view runs. For
a 1 GiB layer that is a second full write and read of every byte. For blob upload requests this
handler hands the view a file-like body fed straight from ASGI ``receive``: the event loop
coalesces the server's small chunks into 1 MiB pieces and passes them, through a bounded queue,
to the view's thread, which hashes and writes each piece once. Everything else — middleware,
views, error handling — is Django's own.
"""

import asyncio
import contextvars
import queue
import re

from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler
from django.http import UnreadablePostError

PIECE = 1024 * 1024
QUEUE_PIECES = 16  # at most ~16 MiB in flight per upload: memory stays flat for any blob size
UPLOAD_PATH = re.compile(r"^/v2/.+/blobs/uploads/(?:[0-9a-f-]{36})?$")

_EOF = object()
_ABORTED = object()
_scope: contextvars.ContextVar[dict | None] = contextvars.ContextVar("wharf_scope", default=None)
_body: contextvars.ContextVar["StreamingBody | None"] = contextvars.ContextVar(
    "wharf_body", default=None
)


def is_streaming_upload(scope: dict) -> bool:
    return scope.get("method") in ("PATCH", "PUT", "POST") and bool(
        UPLOAD_PATH.match(scope.get("path", ""))
    )


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


class StreamingUploadsASGIHandler(ASGIHandler):
    """Django's ASGI handler, except that blob upload bodies are streamed (see module doc)."""

    # Django cuts response bodies into 64 KiB ASGI messages; for blob downloads each message's
    # overhead dominated (1 GiB = 16,384 sends). Pieces as large as the blob stream's are enough.
    chunk_size = 4 * 1024 * 1024

    async def handle(self, scope, receive, send):
        token = _scope.set(scope)
        try:
            await super().handle(scope, receive, send)
        finally:
            _scope.reset(token)

    async def read_body(self, receive):
        scope = _scope.get()
        if scope is None or not is_streaming_upload(scope):
            return await super().read_body(receive)
        body = StreamingBody(receive)
        body.start()
        _body.set(body)
        return body

    async def listen_for_disconnect(self, receive):
        body = _body.get()
        if body is None:
            return await super().listen_for_disconnect(receive)
        await body.wait_disconnect()
