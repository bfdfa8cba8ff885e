"""`manage.py serve` (what `make run` runs): web, worker and private Redis as one process tree."""

import json
import os
import re
import shutil
import signal
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from hub.procs import redis_ping_unix
from tests.hub.serving import alive, descendants, get, start_hub

pytestmark = pytest.mark.integration


@pytest.fixture
def served():
    scratch = Path(tempfile.mkdtemp(prefix="wharf-serve-"))
    hub = start_hub(scratch / "data")
    yield hub
    hub.stop()
    shutil.rmtree(scratch, ignore_errors=True)


def test_serve_runs_web_worker_and_private_redis(served):
    health = served.health()
    assert health["database"] == {"ok": True, "vendor": "sqlite"}
    assert health["redis"] == {"ok": True}
    assert health["workers"][0].startswith("wharf-worker@")
    assert redis_ping_unix(served.data_dir / "redis.sock")
    status, home = get(served.url + "/")
    assert status == 200 and "Your team's own Docker Hub." in home
    assert get(served.url + "/signup/")[0] == 200
    css = re.search(r'href="(/static/css/wharf\.[0-9a-f]{12}\.css)"', home).group(1)
    with urllib.request.urlopen(served.url + css, timeout=5) as response:
        assert response.status == 200
        assert "max-age=315360000" in response.headers["Cache-Control"]
    output = served.output()
    assert f"Wharf is running at http://localhost:{served.port}/" in output
    assert "manage.py createsuperuser" in output
    assert "wharf-worker@" in output and "ready." in output
    # A fresh hub has its official base image, anonymous pull by short name included.
    status, tags = get(served.url + "/v2/busybox/tags/list")
    assert status == 200 and json.loads(tags)["tags"] == ["latest"]


def test_serve_says_where_builds_keep_their_files(served):
    root = served.build_root()
    assert root is not None, served.output()
    assert root.is_dir()
    if "(as wharf-build)" in served.output():
        # The data dir is private (0700): the build user's workspace is outside it.
        assert not root.is_relative_to(served.data_dir)
        assert root.parent == Path("/var/lib/wharf") and root.name.startswith("builds-")
    else:
        assert root == served.data_dir / "builds"


@pytest.mark.parametrize("how", ["sigterm", "ctrl-c"])
def test_serve_stops_cleanly_leaving_no_process(served, how):
    proc = served.proc
    children = descendants(proc.pid)
    assert len(children) >= 3  # uvicorn, celery (+ its pool), redis-server

    if how == "sigterm":
        proc.send_signal(signal.SIGTERM)
    else:
        os.killpg(proc.pid, signal.SIGINT)  # what the terminal sends the foreground group
    assert proc.wait(timeout=30) == 0, served.output()

    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if alive(pid)]
    assert not redis_ping_unix(served.data_dir / "redis.sock")


def _web_workers(hub) -> set[int]:
    """The uvicorn worker processes under `serve` (children of uvicorn's supervisor)."""
    workers = set()
    for pid in descendants(hub.proc.pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"multiprocessing" in cmdline and b"spawn_main" in cmdline:
            workers.add(pid)
    return workers


def test_several_web_processes_share_the_port_and_one_that_dies_is_replaced():
    scratch = Path(tempfile.mkdtemp(prefix="wharf-serve-"))
    hub = start_hub(scratch / "data", WHARF_WEB_WORKERS="3")
    try:
        workers = _web_workers(hub)
        assert len(workers) == 3, hub.output()
        assert "web:    3 process(es)" in hub.output()
        victim = sorted(workers)[0]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            now = _web_workers(hub)
            if len(now) == 3 and victim not in now:
                break
            time.sleep(0.2)
        assert len(now) == 3 and victim not in now, hub.output()
        # Every request is answered, whichever process takes it.
        for _ in range(30):
            assert get(hub.url + "/v2/busybox/tags/list")[0] == 200
        assert hub.health()["redis"] == {"ok": True}
    finally:
        hub.stop()
        shutil.rmtree(scratch, ignore_errors=True)
