"""A private Docker engine for the tests: Debian's dockerd, as root, everything in a temp dir.

    dockerd --data-root D/root --exec-root D/exec -H unix://D/sock --pidfile D/pid \\
            --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs

No network of its own (containers run with ``--network none``) and no iptables rules; loopback
registries are insecure to dockerd by default, so it talks plain HTTP to Wharf on 127.0.0.1.
Stopped at the end of the session: SIGTERM, then whatever it left mounted under D is unmounted
before D is removed. Not root: the docker tests are skipped, saying why. In CI (``CI=true``) a
dockerd that cannot start fails them instead. ``private_engine`` starts another such engine, with
options only a start sets (``--registry-mirror``), for the tests that need one.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

DOCKERD = "/usr/sbin/dockerd"
DOCKER = "/usr/bin/docker"  # Debian's CLI, the engine's own version (not one elsewhere on PATH)
START_TIMEOUT = 60


class DockerEngine:
    """``extra_args`` are dockerd options of a test's own (``--registry-mirror``, which only a
    start sets); ``environ`` is dockerd's environment when not the tests' own."""

    def __init__(self, root: Path, *, extra_args: Sequence[str] = (), environ: dict | None = None):
        self.root = root
        self.extra_args = list(extra_args)
        self.environ = environ
        self.sock = root / "sock"
        self.log = root / "dockerd.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "DockerEngine":
        args = [
            DOCKERD, "--data-root", str(self.root / "data"), "--exec-root", str(self.root / "exec"),
            "-H", f"unix://{self.sock}", "--pidfile", str(self.root / "pid"),
            "--iptables=false", "--ip6tables=false", "--bridge=none", "--storage-driver=vfs",
            *self.extra_args,
        ]  # fmt: skip
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, env=self.environ
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dockerd exited with {self.proc.returncode}:\n{self.tail()}")
            if self.sock.exists() and self.run("info", check=False, timeout=10).returncode == 0:
                return self
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"dockerd did not answer within {START_TIMEOUT}s:\n{self.tail()}")

    def tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def env(self, config: Path | None = None) -> dict:
        config = config or self.root / "config"
        config.mkdir(exist_ok=True)
        return {**os.environ, "DOCKER_HOST": f"unix://{self.sock}", "DOCKER_CONFIG": str(config)}

    def run(self, *args, config: Path | None = None, input=None, check=True, timeout=300):
        """``docker ARGS`` against this engine; ``config`` is a DOCKER_CONFIG of the caller's."""
        done = subprocess.run(
            [DOCKER, *args], env=self.env(config), input=input, capture_output=True, text=True,
            timeout=timeout,
        )  # fmt: skip
        if check and done.returncode:
            raise AssertionError(
                f"docker {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
            )
        return done

    def popen(self, *args, config: Path | None = None) -> subprocess.Popen:
        return subprocess.Popen(
            [DOCKER, *args], env=self.env(config), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        unmount_under(self.root)


def unmount_under(root: Path) -> None:
    """Unmount everything mounted under ``root``, deepest first (dockerd leaves its own)."""
    prefix = str(root).rstrip("/") + "/"
    with open("/proc/mounts") as mounts:
        points = [line.split()[1] for line in mounts if line.split()[1].startswith(prefix)]
    for point in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True)


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the docker tests need dockerd, and in CI it must start: {reason}")
    pytest.skip(reason)


@contextmanager
def private_engine(**options) -> Iterator[DockerEngine]:
    """A started private engine (DockerEngine's ``options``), stopped and removed afterwards;
    skipped here, or failed in CI, when dockerd cannot run."""
    if os.geteuid() != 0:
        _unavailable("dockerd runs here only as root (rootless docker is not set up)")
    if not (Path(DOCKERD).exists() and Path(DOCKER).exists()):
        _unavailable("Debian's docker.io is not installed (bash scripts/setup.sh test)")
    root = Path(tempfile.mkdtemp(prefix="wharf-dockerd-", dir="/tmp"))
    engine = DockerEngine(root, **options)
    try:
        engine.start()
    except RuntimeError as exc:
        engine.stop()
        shutil.rmtree(root, ignore_errors=True)
        _unavailable(str(exc))
    try:
        yield engine
    finally:
        engine.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def dockerd():
    """One private Docker engine for the whole session."""
    with private_engine() as engine:
        yield engine
