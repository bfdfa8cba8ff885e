"""`manage.py serve` (what `make run` runs): web, worker and private Redis as one process tree."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from hub.procs import redis_ping_unix
from tests.conftest import free_port

BASE_DIR = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


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
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().split(") ")[1][0] != "Z"


@pytest.fixture
def served():
    data_dir = Path(tempfile.mkdtemp(prefix="wharf-serve-"))
    data_dir.chmod(0o755)  # passable by the build user: the build workspace stays inside
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(
        WHARF_DATA_DIR=str(data_dir), PORT=str(port), HOST="127.0.0.1", WHARF_WORKER_CONCURRENCY="1"
    )
    log = open(data_dir / "serve.log", "w+")
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "serve"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    health = {}
    while time.monotonic() < deadline:
        assert proc.poll() is None, Path(log.name).read_text()
        try:
            status, body = get(url + "/healthz")
            health = json.loads(body)
            if status == 200 and health["workers"]:
                break
        except OSError:
            pass
        time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail(
            f"hub never became healthy with a worker: {health}\n{Path(log.name).read_text()}"
        )
    yield proc, url, data_dir, health, log
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    log.close()
    shutil.rmtree(data_dir, ignore_errors=True)


def test_serve_runs_web_worker_and_private_redis(served):
    proc, url, data_dir, health, log = served

    assert health["database"] == {"ok": True, "vendor": "sqlite"}
    assert health["redis"] == {"ok": True}
    assert health["workers"][0].startswith("wharf-worker@")
    assert redis_ping_unix(data_dir / "redis.sock")
    status, home = get(url + "/")
    assert status == 200 and "Your team's own Docker Hub." in home
    assert get(url + "/signup/")[0] == 200
    css = re.search(r'href="(/static/css/wharf\.[0-9a-f]{12}\.css)"', home).group(1)
    with urllib.request.urlopen(url + css, timeout=5) as response:
        assert response.status == 200
        assert "max-age=315360000" in response.headers["Cache-Control"]
    output = Path(log.name).read_text()
    assert f"Wharf is running at http://localhost:{url.rsplit(':', 1)[1]}/" in output
    assert "manage.py createsuperuser" in output
    assert f"  builds: {data_dir / 'builds'}  (as " in output
    assert "wharf-worker@" in output and "ready." in output
    # A fresh hub has its official base image, anonymous pull by short name included.
    status, tags = get(url + "/v2/busybox/tags/list")
    assert status == 200 and json.loads(tags)["tags"] == ["latest"]


@pytest.mark.parametrize("how", ["sigterm", "ctrl-c"])
def test_serve_stops_cleanly_leaving_no_process(served, how):
    proc, url, data_dir, health, log = served
    children = descendants(proc.pid)
    assert len(children) >= 3  # uvicorn, celery (+ its pool), redis-server

    if how == "sigterm":
        proc.send_signal(signal.SIGTERM)
    else:
        os.killpg(proc.pid, signal.SIGINT)  # what the terminal sends the foreground group
    assert proc.wait(timeout=30) == 0, Path(log.name).read_text()

    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if alive(pid)]
    assert not redis_ping_unix(data_dir / "redis.sock")
