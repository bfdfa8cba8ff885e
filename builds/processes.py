"""Running a build's subprocesses: output line by line, cancellable, with a deadline.

Each command runs in its own process group, so cancelling or timing out stops the whole tree
(git's helpers, buildah's RUN steps) and not just the parent.
"""

import ctypes
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable

PR_SET_PDEATHSIG = 1
# Longer lines are cut while reading: builds.logs stores at most 4,000 characters of a line, and
# a line without an end (a binary printed to the terminal, 200 MB of it) must cost neither
# memory nor quadratic time.
MAX_LINE_BYTES = 16 * 1024
CUT = " … (line cut)"


class Cancelled(Exception):
    pass


class TimedOut(Exception):
    pass


class CommandFailed(Exception):
    def __init__(self, message: str, returncode: int):
        super().__init__(message)
        self.returncode = returncode


def _die_with_parent() -> None:
    """In the child: be killed if the worker dies, instead of building on as an orphan."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:  # not Linux/glibc: the reaper still ends the build's record
        pass


def _stop_group(proc: subprocess.Popen, grace: float = 2.0) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds.

    In a PID namespace (builds.sandbox) the command is the namespace's first process, which
    ignores a SIGTERM it has no handler for: buildah handles it and stops at once (its own
    cleanup), git and the like sit out the grace and are killed.
    """
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


class LineSplitter:
    """Bytes in, lines out, in time linear in the input and memory bounded by MAX_LINE_BYTES.

    A line longer than that is cut at the limit (marked), and the rest of it is skipped up to its
    newline without being kept.
    """

    def __init__(self, limit: int = MAX_LINE_BYTES):
        self.limit = limit
        self.parts: list[bytes] = []
        self.size = 0
        self.skipping = False  # inside the unkept rest of a line that was cut

    def feed(self, chunk: bytes) -> list[str]:
        lines = []
        start = 0
        while start < len(chunk):
            end = chunk.find(b"\n", start)
            piece = chunk[start:] if end < 0 else chunk[start:end]
            if not self.skipping:
                room = self.limit - self.size
                if len(piece) > room:
                    self.parts.append(piece[:room])
                    lines.append(self._take(cut=True))
                    self.skipping = True
                else:
                    self.parts.append(piece)
                    self.size += len(piece)
            if end < 0:
                break
            if self.skipping:
                self.skipping = False
            else:
                lines.append(self._take())
            start = end + 1
        return lines

    def finish(self) -> list[str]:
        return [self._take()] if self.size and not self.skipping else []

    def _take(self, cut: bool = False) -> str:
        line = b"".join(self.parts).decode("utf-8", "replace")
        self.parts, self.size = [], 0
        return line + CUT if cut else line


def _drain(stream, chunks: queue.Queue) -> None:
    """Read the child's output as fast as it comes, whatever the consumer is doing.

    buildah drops RUN output it cannot write at once (seen: 10 % of 100,000 lines lost behind a
    reader that paused to store batches), so reading never waits for line handling.
    """
    fd = stream.fileno()
    while chunk := os.read(fd, 65536):
        chunks.put(chunk)
    chunks.put(b"")


def run_streaming(
    args: list[str],
    *,
    on_line: Callable[[str], None],
    should_stop: Callable[[], bool],
    deadline: float,
    failure: str,
    cwd: str | None = None,
    env: dict | None = None,
    poll_seconds: float = 0.5,
    on_start: Callable[[subprocess.Popen], None] | None = None,
) -> None:
    """Run ``args``; every output line goes to ``on_line``.

    Raises Cancelled when ``should_stop()`` turns true, TimedOut past ``deadline`` (a
    time.monotonic() value), CommandFailed(``failure``) on a non-zero exit. ``on_start`` is
    called with the started process, whose stdin is then a pipe it may write to (and close).
    """
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE if on_start is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )
    chunks: queue.Queue = queue.Queue()
    reader = threading.Thread(target=_drain, args=(proc.stdout, chunks), daemon=True)
    reader.start()
    splitter = LineSplitter()
    try:
        if on_start is not None:
            on_start(proc)
        while True:
            if should_stop():
                _stop_group(proc)
                raise Cancelled()
            if time.monotonic() > deadline:
                _stop_group(proc)
                raise TimedOut()
            try:
                chunk = chunks.get(timeout=poll_seconds)
            except queue.Empty:
                continue
            if not chunk:
                break
            for line in splitter.feed(chunk):
                on_line(line)
        for line in splitter.finish():
            on_line(line)
        returncode = proc.wait()
    finally:
        if proc.poll() is None:
            _stop_group(proc)
        reader.join(timeout=5)
        proc.stdout.close()
    if returncode != 0:
        raise CommandFailed(f"{failure} (exit code {returncode})", returncode)
