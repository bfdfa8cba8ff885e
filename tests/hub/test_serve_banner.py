"""`make run`'s banner says "running" only once the worker has sent its first heartbeat, waiting a
bounded time for it; a worker that never beats gets a warning and the hub runs anyway."""

import shutil
import tempfile
import time
from pathlib import Path

import pytest
from django.core.management.base import CommandError

from hub.heartbeat import beat_once, wait_for_worker, workers_started_since
from hub.management.commands.serve import Command
from hub.procs import Supervisor
from hub.redisconn import get_redis
from tests.hub.serving import Hub, request, wait_for


def test_only_a_heartbeat_begun_since_counts_not_one_an_earlier_run_left(db):
    since = time.time()
    beat_once(get_redis(), "wharf-worker@old", since - 5)  # kept on disk from the last run
    assert workers_started_since(get_redis(), since) == []
    beat_once(get_redis(), "wharf-worker@new", since + 0.01)
    assert workers_started_since(get_redis(), since) == ["wharf-worker@new"]
    assert wait_for_worker(since=since, timeout=5) == "wharf-worker@new"


def test_waiting_ends_without_a_worker_when_none_beats_in_time(db):
    assert wait_for_worker(since=time.time(), timeout=0.3) is None


def _supervisor_with_worker(args: list[str]) -> Supervisor:
    supervisor = Supervisor()
    supervisor.spawn("worker", args)
    supervisor.spawn("web", ["sleep", "60"])
    return supervisor


def test_a_worker_that_never_beats_gets_a_warning_and_the_hub_runs_anyway(db, capsys):
    supervisor = _supervisor_with_worker(["sleep", "60"])  # alive, but never beats
    try:
        name = Command().wait_for_worker(supervisor, since=time.time(), timeout=0.3)
        assert name is None
        assert all(proc.poll() is None for proc in supervisor.children.values())
    finally:
        supervisor.stop_all()
    assert (
        "wharf: warning: the worker sent no heartbeat within 0.3 s; running anyway. Builds wait "
        "in the queue until it does (see its messages above)."
    ) in capsys.readouterr().err


def test_a_worker_that_exits_before_its_first_heartbeat_stops_the_hub(db):
    supervisor = _supervisor_with_worker(["false"])
    supervisor.children["worker"].wait()
    with pytest.raises(CommandError, match="the worker did not start; see the messages above"):
        Command().wait_for_worker(supervisor, since=time.time(), timeout=30)
    assert supervisor.children["web"].poll() is not None  # stopped, not left behind


@pytest.mark.integration
def test_the_banner_comes_after_the_workers_first_heartbeat():
    scratch = Path(tempfile.mkdtemp(prefix="wharf-banner-"))
    hub = Hub(scratch / "data")
    try:
        wait_for("the banner", lambda: "Wharf is running at" in hub.output(), timeout=120)
        # The moment it says "running", the worker is there: a build queued now is picked up.
        health = request(hub.url + "/healthz").json()
        assert health["status"] == "ok", hub.output()
        worker = health["workers"][0]
        assert worker.startswith("wharf-worker@")
        assert f"  worker: {worker}\n" in hub.output()
        assert "no heartbeat within" not in hub.output()
    finally:
        hub.stop()
        shutil.rmtree(scratch, ignore_errors=True)
