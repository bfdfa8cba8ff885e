"""Running a build's subprocesses: output line by line, cancellable, with a deadline.

Each command runs in its own process group, so cancelling or timing out stops the whole tree
(git's helpers, buildah's RUN steps) and not just the parent.
"""

import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable


class Cancelled(Exception):
    pass


class TimedOut(Exception):
    pass


class CommandFailed(Exception):
    def __init__(self, message: str, returncode: int):
        super().__init__(message)
        self.returncode = returncode


def _stop_group(proc: subprocess.Popen, grace: float = 5.0) -> None:
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
    )
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    buffer = b""
    try:
        while True:
            if should_stop():
                _stop_group(proc)
                raise Cancelled()
            if time.monotonic() > deadline:
                _stop_group(proc)
                raise TimedOut()
            if not selector.select(timeout=poll_seconds):
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
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
        selector.close()
        proc.stdout.close()
        if proc.poll() is None:
            _stop_group(proc)
    if returncode != 0:
        raise CommandFailed(f"{failure} (exit code {returncode})", returncode)
