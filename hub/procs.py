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
    """Start redis-server listening only on ``data_dir/redis.sock`` (no TCP port, nothing saved).

    Returns None when one already answers there (another `make run` of the same data dir).
    A socket, not a port, so it never clashes with a system Redis on 6379 and nothing on the
    network can reach it.
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
        "--save", "", "--appendonly", "no", "--dir", str(data_dir),
        "--logfile", str(data_dir / "redis.log"),
    ]  # fmt: skip
    proc = subprocess.Popen(args)
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


class Supervisor:
    """Runs named children in the foreground; when one dies or we are signalled, stops them all."""

    def __init__(self) -> None:
        self.children: dict[str, subprocess.Popen] = {}
        self._stopping = False

    def spawn(self, name: str, args: list[str], **kwargs) -> subprocess.Popen:
        proc = subprocess.Popen(args, **kwargs)
        self.children[name] = proc
        return proc

    def adopt(self, name: str, proc: subprocess.Popen) -> None:
        self.children[name] = proc

    def _on_signal(self, signum, frame) -> None:
        self._stopping = True

    def run(self) -> int:
        """Block until a child exits or SIGINT/SIGTERM arrives; return the exit code to use."""
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        code = 0
        while not self._stopping:
            for name, proc in self.children.items():
                if proc.poll() is not None:
                    print(
                        f"wharf: {name} exited with {proc.returncode}; stopping.", file=sys.stderr
                    )
                    code = proc.returncode or 1
                    self._stopping = True
                    break
            time.sleep(0.2)
        print("wharf: shutting down…", file=sys.stderr)
        self.stop_all()
        return code

    def stop_all(self) -> None:
        # Web and worker first, Redis last, so the worker can finish talking to its broker.
        names = list(self.children)
        stop([self.children[n] for n in names if n != "redis"])
        stop([self.children[n] for n in names if n == "redis"])


def env_with(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env
