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
) -> None:
    """Run ``args``; every output line goes to ``on_line``.

    Raises Cancelled when ``should_stop()`` turns true, TimedOut past ``deadline`` (a
    time.monotonic() value), CommandFailed(``failure``) on a non-zero exit.
    """
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )
    chunks: queue.Queue = queue.Queue()
    reader = threading.Thread(target=_drain, args=(proc.stdout, chunks), daemon=True)
    reader.start()
    buffer = b""
    try:
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
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                on_line(line.decode("utf-8", "replace"))
        if buffer:
            on_line(buffer.decode("utf-8", "replace"))
        returncode = proc.wait()
    finally:
        if proc.poll() is None:
            _stop_group(proc)
        reader.join(timeout=5)
        proc.stdout.close()
    if returncode != 0:
        raise CommandFailed(f"{failure} (exit code {returncode})", returncode)
