"""The private Redis: kept across restarts, started again when it dies (hub/procs.py)."""

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
import redis

from hub.procs import start_private_redis, stop
from tests.hub.serving import BASE_DIR, alive, hub_env, request, start_hub, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def scratch():
    # Short: a Unix socket's path has room for about 107 bytes.
    path = Path(tempfile.mkdtemp(prefix="wharf-r-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_private_redis_keeps_its_data_across_a_restart(scratch):
    first = start_private_redis(scratch)
    try:
        redis.Redis(unix_socket_path=str(scratch / "redis.sock")).set("wharf:kept", "yes")
    finally:
        stop([first])

    second = start_private_redis(scratch)
    try:
        client = redis.Redis(unix_socket_path=str(scratch / "redis.sock"))
        assert client.get("wharf:kept") == b"yes"
    finally:
        stop([second])
    made = [p for p in scratch.rglob("*") if p.name.startswith(("appendonly", "redis"))]
    assert any(p.name.endswith(".aof") for p in made)
    for path in made:
        assert stat.S_IMODE(path.lstat().st_mode) & 0o077 == 0, path


def test_hub_keeps_serving_and_reconnects_when_its_redis_is_killed(scratch):
    hub = start_hub(scratch / "data")
    try:
        killed = hub.redis_pid()
        assert killed, hub.output()
        os.kill(killed, signal.SIGKILL)

        # Pages and registry reads need no Redis: they answer while it is away, and after.
        assert request(hub.url + "/").status == 200
        assert request(hub.url + "/v2/busybox/tags/list").status == 200
        assert request(hub.url + "/v2/").status == 401
        wait_for(
            "redis started again", lambda: "wharf: redis is running again (pid " in hub.output()
        )
        assert hub.proc.poll() is None
        assert hub.redis_pid() not in (None, killed)
        assert "wharf: redis was killed by SIGKILL." in hub.output()

        # The worker's heartbeat may have been kept on disk: drop it, and watch it come back.
        client = redis.Redis(unix_socket_path=str(hub.data_dir / "redis.sock"))
        wait_for("redis answering", client.ping)
        for key in client.scan_iter("wharf:worker:*"):
            client.delete(key)
        health = wait_for("the worker's heartbeat in /healthz", lambda: _healthy(hub))
        assert health["redis"] == {"ok": True}
        assert health["workers"][0].startswith("wharf-worker@")
        # The worker's broker connection is back too: it answers a remote-control ping.
        ping = subprocess.run(
            [sys.executable, "-m", "celery", "-A", "hub", "inspect", "ping", "--timeout", "10"],
            cwd=BASE_DIR,
            env=hub_env(hub.data_dir),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert "pong" in ping.stdout, ping.stdout + ping.stderr
        assert request(hub.url + "/").status == 200
    finally:
        hub.stop()


def _healthy(hub) -> dict | None:
    response = request(hub.url + "/healthz")
    health = response.json()
    return health if response.status == 200 and health["workers"] else None


# A supervisor whose Redis cannot start again: its data dir is gone from under it.
GIVES_UP = textwrap.dedent(
    """
    import os, shutil, sys
    from pathlib import Path
    from hub import procs

    procs.RESTART_DELAY_MAX = 0.2  # the backoff's shape is what matters here, not its length
    data = Path(sys.argv[1])
    supervisor = procs.Supervisor()
    web = supervisor.spawn("web", [sys.executable, "-c", "import time; time.sleep(300)"])
    print(web.pid, flush=True)
    redis_proc = procs.start_private_redis(data)
    supervisor.adopt(
        "redis", redis_proc,
        restart=lambda: procs.start_private_redis(data),
        hint=f"See {data / 'redis.log'}.",
    )
    shutil.rmtree(data)
    redis_proc.kill()
    sys.exit(supervisor.run())
    """
)


def test_supervisor_gives_up_on_a_redis_that_keeps_failing_and_stops_the_rest(scratch):
    data = scratch / "data"
    data.mkdir()

    result = subprocess.run(
        [sys.executable, "-c", GIVES_UP, str(data)],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1, result.stderr
    assert "wharf: redis was killed by SIGKILL." in result.stderr
    assert f"wharf: redis did not start: redis-server exited with 1; see {data}" in result.stderr
    assert "wharf: starting redis again in 0.2 s." in result.stderr
    assert (
        "wharf: redis failed 5 times in a row within 30 s of starting; giving up. "
        f"See {data / 'redis.log'}."
    ) in result.stderr
    assert "wharf: shutting down…" in result.stderr
    web = int(result.stdout.split()[0])
    wait_for("the web stand-in to stop", lambda: not alive(web), timeout=15)
