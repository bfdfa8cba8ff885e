"""Child processes for `make run` and `make test`: a private redis-server and a small supervisor.

Standard library only, no Django import, so the test runner can use it before settings exist.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


class ProcessError(RuntimeError):
    pass


def redis_ping_unix(path: Path, timeout: float = 0.5) -> bool:
    """True when a Redis server answers PING on the Unix socket ``path``."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_private_redis(data_dir: Path, *, wait: float = 15.0) -> subprocess.Popen | None:
    """Start redis-server listening only on ``data_dir/redis.sock`` (no TCP port).

    Returns None when one already answers there (another `make run` of the same data dir).
    A socket, not a port, so it never clashes with a system Redis on 6379 and nothing on the
    network can reach it.

    Its data survives a restart: queued tasks, the cache, sign-in lockouts. An append-only file
    (``appendonlydir/``), fsynced once a second, rather than RDB snapshots: a crash loses at
    most a second of writes, not everything since the last snapshot, and an fsync a second costs
    nothing at Wharf's write rates. Made with umask 077, so its files are 0600 like the rest of
    the data dir (hub/datadir.py).
    """
    sock = data_dir / "redis.sock"
    if redis_ping_unix(sock):
        return None
    binary = shutil.which("redis-server")
    if binary is None:
        raise ProcessError("redis-server is not installed (apt-get install redis-server)")
    sock.unlink(missing_ok=True)
    args = [
        binary, "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700",
        "--dir", str(data_dir), "--logfile", str(data_dir / "redis.log"),
        "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
    ]  # fmt: skip
    proc = subprocess.Popen(args, umask=0o077)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if redis_ping_unix(sock):
            return proc
        if proc.poll() is not None:
            raise ProcessError(
                f"redis-server exited with {proc.returncode}; see {data_dir / 'redis.log'}"
            )
        time.sleep(0.05)
    proc.terminate()
    proc.wait()
    raise ProcessError(f"redis-server did not answer on {sock} within {wait:.0f}s")


def stop(procs: list[subprocess.Popen], *, grace: float = 10.0) -> None:
    """SIGTERM every live child, wait up to ``grace`` seconds in all, then SIGKILL the rest."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in procs:
        try:
            proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# A child that exits this soon after it started counts as a quick exit: restarting it again at
# once would spin. After QUICK_EXITS_MAX of them in a row the supervisor gives up.
QUICK_EXIT_SECONDS = 30.0
QUICK_EXITS_MAX = 5
RESTART_DELAY_MAX = 8.0


@dataclass
class _Restart:
    start: Callable[[], subprocess.Popen | None]  # a new process, or None: another one serves
    hint: str  # where to look when it keeps exiting
    started: float = field(default_factory=time.monotonic)
    quick_exits: int = 0


def _how(proc: subprocess.Popen) -> str:
    code = proc.returncode
    if code is not None and code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            pass
    return f"exited with {code}"


class Supervisor:
    """Runs named children in the foreground.

    A child adopted with a ``restart`` function (the private redis-server) is started again when
    it exits, with a growing delay while it keeps exiting soon after starting; web and worker
    reconnect to it by themselves. When any other child exits, when a restartable one keeps
    exiting, or when we are signalled, all of them stop.
    """

    def __init__(self) -> None:
        self.children: dict[str, subprocess.Popen] = {}
        self._restarts: dict[str, _Restart] = {}
        self._stopping = False

    def spawn(self, name: str, args: list[str], **kwargs) -> subprocess.Popen:
        proc = subprocess.Popen(args, **kwargs)
        self.children[name] = proc
        return proc

    def adopt(
        self,
        name: str,
        proc: subprocess.Popen,
        *,
        restart: Callable[[], subprocess.Popen | None] | None = None,
        hint: str = "",
    ) -> None:
        self.children[name] = proc
        if restart is not None:
            self._restarts[name] = _Restart(start=restart, hint=hint)

    def _on_signal(self, signum, frame) -> None:
        self._stopping = True

    def run(self) -> int:
        """Block until a child exits for good or SIGINT/SIGTERM arrives; return the exit code."""
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        code = 0
        while not self._stopping:
            for name, proc in list(self.children.items()):
                if proc.poll() is None:
                    continue
                if self._stopping:  # Ctrl-C reaches the whole group: Redis may exit first
                    break
                if name in self._restarts:
                    if self._revive(name, proc):
                        continue
                    code = 1
                else:
                    print(f"wharf: {name} {_how(proc)}; stopping.", file=sys.stderr)
                    code = proc.returncode or 1
                self._stopping = True
                break
            time.sleep(0.2)
        print("wharf: shutting down…", file=sys.stderr)
        self.stop_all()
        return code

    def _revive(self, name: str, proc: subprocess.Popen) -> bool:
        """Start ``name`` again after ``proc`` exited; False when it keeps exiting (give up)."""
        policy = self._restarts[name]
        if time.monotonic() - policy.started < QUICK_EXIT_SECONDS:
            policy.quick_exits += 1
        else:
            policy.quick_exits = 0
        print(f"wharf: {name} {_how(proc)}.", file=sys.stderr)
        while not self._stopping:
            if policy.quick_exits >= QUICK_EXITS_MAX:
                print(
                    f"wharf: {name} failed {policy.quick_exits} times in a row within "
                    f"{QUICK_EXIT_SECONDS:.0f} s of starting; giving up. {policy.hint}".rstrip(),
                    file=sys.stderr,
                )
                return False
            delay = min(2.0 ** (policy.quick_exits - 1), RESTART_DELAY_MAX)
            if policy.quick_exits:
                print(f"wharf: starting {name} again in {delay:g} s.", file=sys.stderr)
                self._sleep(delay)
                if self._stopping:
                    break
            else:
                print(f"wharf: starting {name} again.", file=sys.stderr)
            policy.started = time.monotonic()
            try:
                new = policy.start()
            except (OSError, ProcessError) as exc:
                print(f"wharf: {name} did not start: {exc}", file=sys.stderr)
                policy.quick_exits += 1
                continue
            if new is None:
                print(f"wharf: another {name} answers in its place; using it.", file=sys.stderr)
                del self.children[name], self._restarts[name]
            else:
                self.children[name] = new
                print(f"wharf: {name} is running again (pid {new.pid}).", file=sys.stderr)
            return True
        return True

    def _sleep(self, seconds: float) -> None:
        """Sleep, but not past a signal asking us to stop."""
        deadline = time.monotonic() + seconds
        while not self._stopping and time.monotonic() < deadline:
            time.sleep(0.1)

    def stop_all(self) -> None:
        # Web and worker first, Redis last, so the worker can finish talking to its broker.
        names = list(self.children)
        stop([self.children[n] for n in names if n != "redis"])
        stop([self.children[n] for n in names if n == "redis"])


def env_with(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env
