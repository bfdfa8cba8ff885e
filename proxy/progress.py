"""How far the fills running in this process have got, for this process's readers.

A fill (proxy/blobs.py) runs in the web process whose request started it, and that request's
client reads it from the same process. Such a reader waits here, woken by the fill thread after
each piece it writes, instead of asking Redis and the file every few milliseconds: a 256 MiB
pull through the cache then costs the web process about half the CPU it did. Readers in other
processes (another web worker, another host) still follow the fill's record in Redis.
"""

import asyncio
import threading
from collections.abc import Callable

RUNNING = "running"
ENDED = ("verified", "done", "failed")


class Progress:
    """One fill: the bytes in its local file so far and its state (running, verified — every
    byte checked, the file about to become the blob —, done, failed)."""

    def __init__(self, upload_id: str):
        self.upload_id = upload_id
        self.written = 0
        self.state = RUNNING
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = []

    def update(self, *, written: int | None = None, state: str | None = None) -> None:
        """From the fill's thread: more bytes are in the file, or the state changed."""
        with self._lock:
            if written is not None:
                self.written = written
            if state is not None:
                self.state = state
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            loop.call_soon_threadsafe(_wake, future)

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


def find(digest: str, upload_id: str) -> Progress | None:
    """The fill of ``digest`` into ``upload_id`` when it runs in this process."""
    with _fills_lock:
        progress = _fills.get(digest)
    return progress if progress is not None and progress.upload_id == upload_id else None
