"""How far the fills running in this process have got, for this process's readers.

A fill (proxy/blobs.py) runs in the web process whose request started it, and that request's
client reads it from the same process. Such a reader waits here, woken by the fill thread after
each piece it writes, and takes the pieces from memory while it keeps up, instead of asking
Redis and the file every few milliseconds; the request that started the fill learns the blob's
size here too. Readers in other processes (another web worker, another host) still follow the
fill's record in Redis and read the file.
"""

import asyncio
import threading
from collections import deque
from collections.abc import Callable

RUNNING = "running"
ENDED = ("verified", "done", "failed")
# The last pieces a fill wrote stay in memory too (a few MiB per running fill): a reader keeping
# up takes them from there instead of reading the file back.
RECENT = 16


class Progress:
    """One fill: the bytes in its local file so far and its state (running, verified — every
    byte checked, the file about to become the blob —, done, failed)."""

    def __init__(self, upload_id: str):
        self.upload_id = upload_id
        self.written = 0
        self.state = RUNNING
        self.size: int | None = None  # the upstream's Content-Length, once it answered
        # Set once the upstream answered (or the fill failed first): the request that started
        # the fill waits on it, in its sync thread, for the size to answer with.
        self.answered = threading.Event()
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = []
        self._recent: deque[tuple[int, bytes]] = deque(maxlen=RECENT)  # (offset, bytes)

    def start(self, size: int | None) -> None:
        """From the fill's thread: the upstream answered; ``size`` None when it did not say."""
        self.size = size
        self.answered.set()

    def update(
        self, *, written: int | None = None, state: str | None = None, piece: bytes = b""
    ) -> None:
        """From the fill's thread: more bytes are in the file (the last of them ``piece``), or
        the state changed."""
        with self._lock:
            if written is not None:
                self.written = written
                if piece:
                    self._recent.append((written - len(piece), piece))
            if state is not None:
                self.state = state
            waiters, self._waiters = self._waiters, []
        if state is not None:
            self.answered.set()  # a fill that failed before the upstream answered
        for loop, future in waiters:
            loop.call_soon_threadsafe(_wake, future)

    def recent(self, offset: int, most: int) -> bytes | None:
        """Up to ``most`` bytes from ``offset`` when they are among the last pieces written."""
        with self._lock:
            for start, piece in self._recent:
                if start <= offset < start + len(piece):
                    if offset == start and len(piece) <= most:
                        return piece
                    return piece[offset - start : offset - start + most]
        return None

    async def wait_for(self, ready: Callable[["Progress"], bool], timeout: float) -> bool:
        """Until ``ready(self)`` holds (True), or ``timeout`` seconds pass without it (False)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            future = loop.create_future()
            with self._lock:
                if ready(self):
                    return True
                self._waiters.append((loop, future))
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(future, remaining)
            except TimeoutError:
                return ready(self)


def _wake(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


_fills: dict[str, Progress] = {}
_fills_lock = threading.Lock()


def begin(digest: str, upload_id: str) -> Progress:
    progress = Progress(upload_id)
    with _fills_lock:
        _fills[digest] = progress
    return progress


def end(digest: str, progress: Progress) -> None:
    """The fill is over (its last state set): later readers find the blob, or start anew."""
    with _fills_lock:
        if _fills.get(digest) is progress:
            del _fills[digest]


def find(digest: str, upload_id: str | None = None) -> Progress | None:
    """The fill of ``digest`` (into ``upload_id``, when given) if it runs in this process."""
    with _fills_lock:
        progress = _fills.get(digest)
    if progress is None or upload_id not in (None, progress.upload_id):
        return None
    return progress
