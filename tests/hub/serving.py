"""The real `manage.py serve` process tree for tests, and plain HTTP to it."""

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import free_port

BASE_DIR = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 90


def hub_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a hub of its own: its data dir, a private Redis, SQLite."""
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(WHARF_DATA_DIR=str(data_dir), HOST="127.0.0.1", WHARF_WORKER_CONCURRENCY="1")
    env.update(extra)
    return env


def manage(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """``manage.py <args>`` against the hub whose data dir is ``data_dir``."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=hub_env(data_dir, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: str

    def json(self):
        return json.loads(self.body)


def request(url: str, method: str = "GET", *, headers=None, body=None) -> Response:
    """One HTTP request, redirects not followed; a dict ``body`` is sent as a form."""
    parts = urllib.parse.urlsplit(url)
    headers = dict(headers or {})
    if isinstance(body, dict):
        body = urllib.parse.urlencode(body)
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, path or "/", body=body, headers=headers)
        response = connection.getresponse()
        return Response(response.status, response.headers, response.read().decode())
    finally:
        connection.close()


def get(url: str, **kwargs) -> tuple[int, str]:
    response = request(url, **kwargs)
    return response.status, response.body


def descendants(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True).stdout
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        child, parent = map(int, line.split())
        children.setdefault(parent, []).append(child)
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; only its parent's wait() is missing.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def wait_for(what: str, check, *, timeout: float = 60, interval: float = 0.3):
    """Poll ``check()`` until it returns something true (an exception counts as not yet); fail
    naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except Exception as exc:  # e.g. a connection refused while the server restarts
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    pytest.fail(f"{what} did not happen within {timeout:.0f}s (last: {last!r})")


class Hub:
    """A running `manage.py serve`, in a session (process group) of its own."""

    def __init__(self, data_dir: Path, **env: str):
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir.parent / f"serve-{self.port}.log"
        self._log = open(self.log_path, "w+")
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "serve"],
            cwd=BASE_DIR,
            env=hub_env(data_dir, PORT=str(self.port), **env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log_path.read_text()

    def health(self) -> dict:
        return request(self.url + "/healthz").json()

    def wait_healthy(self) -> dict:
        """Wait until /healthz says ok with a worker and the banner says "running" (printed once
        serve itself has seen the worker's heartbeat); the health it said."""
        deadline = time.monotonic() + READY_TIMEOUT
        health = {}
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.output()
            try:
                response = request(self.url + "/healthz")
                health = response.json()
                if (
                    response.status == 200
                    and health["workers"]
                    and "Wharf is running at" in self.output()
                ):
                    return health
            except (OSError, ValueError):
                pass
            time.sleep(0.5)
        pytest.fail(f"hub never became healthy with a worker: {health}\n{self.output()}")

    def build_root(self) -> Path | None:
        """Where the banner says builds keep their files."""
        match = re.search(r"^  builds: (\S+)  \(as ", self.output(), re.MULTILINE)
        return Path(match[1]) if match else None

    def redis_pid(self) -> int | None:
        """The private redis-server's pid; None while there is none (being started again)."""
        for pid in descendants(self.proc.pid):
            try:
                if Path(f"/proc/{pid}/comm").read_text().strip() == "redis-server" and alive(pid):
                    return pid
            except FileNotFoundError:
                continue
        return None

    def stop(self) -> None:
        """Kill the whole tree; remove a build workspace it made outside its data dir."""
        try:  # the group, even when serve itself has exited: nothing of it may outlive a test
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        root = self.build_root()
        if root and not root.is_relative_to(self.data_dir) and root.name.startswith("builds-"):
            shutil.rmtree(root, ignore_errors=True)
        self._log.close()


def start_hub(data_dir: Path, **env: str) -> Hub:
    hub = Hub(data_dir, **env)
    try:
        hub.wait_healthy()
    except BaseException:
        hub.stop()
        raise
    return hub
