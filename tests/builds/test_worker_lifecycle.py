"""Workers that die, stop or lose their messages: no build waits for ever, nothing outlives a
killed worker (findings 7 and 17). Real Celery workers in processes of their own, real buildah,
the real `manage.py serve`."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from builds import queue as build_queue
from builds import sandbox
from builds.models import Build
from builds.reaper import reap_lost, reap_queued
from builds.tasks import run_build
from hub.registry import busybox
from tests.builds.support import log_text, make_git_repo, start, still_running, wait_final
from tests.hub.serving import alive, manage, start_hub, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not busybox.BUSYBOX.exists(), reason="needs Debian's busybox-static"),
]
BASE_DIR = Path(__file__).resolve().parents[2]


class WorkerProcess:
    """``celery worker`` in a process (and session) of its own, on the test's database."""

    def __init__(self, settings, queue: str, *, pool: str, hostname: str):
        env = {
            **os.environ,
            "WHARF_URL": settings.WHARF_URL,
            "WHARF_BUILD_ALLOW_LOCAL_SOURCES": "1",
            "WHARF_BUILD_ALLOW_PRIVATE_SOURCES": "1",
            "WHARF_BUILD_DIR": str(settings.WHARF_BUILD_DIR),
            "WHARF_GC_INTERVAL_HOURS": "0",
        }
        if connection.vendor == "sqlite":
            env["DATABASE_URL"] = f"sqlite:///{connection.settings_dict['NAME']}"
        else:
            d = connection.settings_dict
            env["DATABASE_URL"] = f"postgres://{d['USER']}@{d['HOST']}:{d['PORT']}/{d['NAME']}"
        args = [sys.executable, "-m", "celery", "-A", "hub", "worker", "--pool", pool]
        if pool == "prefork":
            args += ["--concurrency", "1"]
        args += ["-Q", queue, "-n", hostname, "--loglevel", "INFO"]
        self.log = tempfile.NamedTemporaryFile("w+", prefix="wharf-worker-", suffix=".log")
        self.proc = subprocess.Popen(
            args,
            cwd=BASE_DIR,
            env=env,
            start_new_session=True,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def children(self) -> list[int]:
        found = subprocess.run(
            ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True
        ).stdout
        return [int(pid) for pid in found.split()]

    def kill_group(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


def wait_building(build: Build, timeout: float = 90) -> Build:
    deadline = time.monotonic() + timeout
    while build.status != "building" and time.monotonic() < deadline:
        time.sleep(0.2)
        build.refresh_from_db()
    assert build.status == "building", log_text(build)
    time.sleep(1.5)  # into the RUN step
    return build


def queued_build(repo, source: Path) -> Build:
    return Build.objects.create(
        repository=repo,
        source_url=f"file://{source}",
        source_ref="main",
        tags=["latest"],
        context=".",
    )


def test_a_killed_worker_leaves_no_build_running_forever(hub, repo, sources, settings):
    """A real worker process, killed mid-build: the reaper ends the build, the next one works."""
    queue = f"test-killed-{uuid.uuid4().hex[:8]}"
    worker = WorkerProcess(settings, queue, pool="solo", hostname=f"{queue}@test")
    try:
        source = make_git_repo(sources / "src", {"Dockerfile": "FROM busybox\nRUN sleep 120\n"})
        build = queued_build(repo, source)
        run_build.apply_async((build.pk,), queue=queue)
        wait_building(build)
        worker.kill_group()  # no goodbye: the worker is just gone
    finally:
        worker.kill_group()

    time.sleep(2)
    assert reap_lost(older_than_seconds=1) == 1
    build.refresh_from_db()
    assert build.status == "error" and build.error == "worker lost"
    assert "marked as lost" in log_text(build)
    if sandbox.current().pid_namespace:
        # The build's PID namespace died with the worker, and the RUN step with it.
        assert not still_running("sleep 120", within=10)
    else:  # without root there is no namespace: the RUN step lives on until it ends
        subprocess.run(["pkill", "-f", "sleep 120"], capture_output=True)
    again = make_git_repo(sources / "again", {"Dockerfile": "FROM busybox\n"})
    assert wait_final(start(repo, again)).status == "success"


def test_a_worker_killed_alone_takes_its_pool_and_builds_along_and_its_next_self_cleans_up(
    hub, repo, sources, settings
):
    """SIGKILL to the Celery main process only (not its group): its pool process used to build
    on as an orphan. Now it follows its parent within a second, the build's PID namespace with
    it; and the worker, started again, ends the build and removes what it left on disk."""
    if not sandbox.current().pid_namespace:
        pytest.skip("no PID namespaces here: RUN steps are not tied to the worker")
    queue = f"test-alone-{uuid.uuid4().hex[:8]}"
    hostname = f"{queue}@test"
    worker = WorkerProcess(settings, queue, pool="prefork", hostname=hostname)
    try:
        source = make_git_repo(sources / "src", {"Dockerfile": "FROM busybox\nRUN sleep 121\n"})
        build = queued_build(repo, source)
        run_build.apply_async((build.pk,), queue=queue)
        wait_building(build)
        pool = worker.children()
        assert pool, worker.output()
        workspaces = list((settings.WHARF_BUILD_DIR / "work").glob(f"build-{build.pk}-*"))
        assert workspaces

        os.kill(worker.proc.pid, signal.SIGKILL)
        worker.proc.wait()

        wait_for("the pool process to follow its worker", lambda: not any(map(alive, pool)))
        assert not still_running("sleep 121", within=10)
        build.refresh_from_db()
        assert build.status == "building"  # nobody said anything yet

        again = WorkerProcess(settings, queue, pool="prefork", hostname=hostname)
        try:
            wait_for("the restarted worker to end the build", lambda: _ended(build), timeout=60)
            assert build.error == "worker lost (it restarted)"
            wait_for("its workspace to go", lambda: not any(p.exists() for p in workspaces))
        finally:
            again.kill_group()
    finally:
        worker.kill_group()


def _ended(build: Build) -> bool:
    build.refresh_from_db()
    return build.is_final


def test_a_queued_build_whose_task_was_lost_is_sent_again_once(hub, repo, sources):
    source = make_git_repo(sources / "src", {"Dockerfile": "FROM busybox\n"})
    lost = queued_build(repo, source)
    long_ago = timezone.now() - timezone.timedelta(minutes=10)
    # Sent once (attempts 1), and the message is gone: a broker restarted without its data.
    Build.objects.filter(pk=lost.pk).update(
        task_id="never-delivered", enqueue_attempts=1, heartbeat_at=long_ago
    )
    twice = queued_build(repo, source)
    Build.objects.filter(pk=twice.pk).update(
        task_id="never-delivered-2", enqueue_attempts=2, heartbeat_at=long_ago
    )

    never_sent = queued_build(repo, source)  # the process died between commit and send
    Build.objects.filter(pk=never_sent.pk).update(created_at=long_ago)

    assert reap_queued(older_than_seconds=60) == (2, 1)

    lost = wait_final(lost)
    assert lost.status == "success", log_text(lost)
    assert "The queue lost this build's task (did Redis restart?); queued again." in log_text(lost)
    assert wait_final(never_sent).status == "success"
    twice.refresh_from_db()
    assert twice.status == "error"
    assert twice.error == "the queue lost this build's task twice; start it again"


def test_a_queued_build_whose_task_waits_in_the_broker_is_left_alone(hub, repo, sources):
    from hub import celery_app

    idle = f"test-idle-{uuid.uuid4().hex[:8]}"  # a queue no worker reads
    build = queued_build(repo, make_git_repo(sources / "src", {"Dockerfile": "FROM busybox\n"}))
    run_build.apply_async((build.pk,), queue=idle, task_id="waiting-task")
    Build.objects.filter(pk=build.pk).update(
        task_id="waiting-task",
        enqueue_attempts=1,
        heartbeat_at=timezone.now() - timezone.timedelta(minutes=10),
    )
    try:
        assert "waiting-task" in build_queue.pending_task_ids([idle])
        assert reap_queued(older_than_seconds=60, queues=[idle]) == (0, 0)
        build.refresh_from_db()
        assert build.status == "queued"
    finally:
        with celery_app.connection_for_write() as conn:
            conn.default_channel.client.delete(idle)


def test_stopping_make_run_cancels_running_builds_at_once(sources):
    """Ctrl-C or SIGTERM to `manage.py serve`: a running build ends `cancelled`, saying why,
    within seconds, not minutes later as lost."""
    data = Path(tempfile.mkdtemp(prefix="wharf-stop-"))
    env = {"WHARF_BUILD_ALLOW_LOCAL_SOURCES": "1", "WHARF_BUILD_ALLOW_PRIVATE_SOURCES": "1"}
    hub = start_hub(data / "data", **env)
    try:
        source = make_git_repo(sources / "src", {"Dockerfile": "FROM busybox\nRUN sleep 74\n"})
        made = manage(
            data / "data",
            "shell",
            "-c",
            "from accounts.services import user_create; from builds.services import build_create;"
            "from hub.services import repository_get_or_create;"
            "u = user_create(username='stopper', email='s@example.test', password='x-9-long-pw');"
            "r = repository_get_or_create(namespace='stopper', name='app', user=u);"
            f"print(build_create(repository=r, source_url='file://{source}', "
            "source_ref='main').pk)",
            **env,
        )
        assert made.returncode == 0, made.stderr
        build_id = int(made.stdout.split()[-1])  # the last line: Django may say more first

        def status() -> str:
            shown = manage(
                data / "data",
                "shell",
                "-c",
                "from builds.models import Build;"
                f"b = Build.objects.get(pk={build_id});"
                "print(b.status, '|', b.log_lines.order_by('-seq').first().text)",
                **env,
            )
            return shown.stdout.strip().splitlines()[-1] if shown.stdout.strip() else ""

        wait_for("the build to reach its RUN step", lambda: "sleep 74" in status(), timeout=120)
        os.kill(hub.proc.pid, signal.SIGTERM)
        assert hub.proc.wait(timeout=60) == 0, hub.output()
        assert status() == "cancelled | Build cancelled: the worker stopped.", hub.output()
        assert not still_running("sleep 74", within=5)
    finally:
        hub.stop()
        shutil.rmtree(data, ignore_errors=True)
