"""A push while the task broker (Redis) cannot take the task that measures its layers: the push
succeeds all the same, and the tag page shows the compressed sizes, saying so. The broker is a
real private redis-server, hung (SIGSTOP: it takes connections and never answers) or down
(killed); the hub's other Redis uses (sign-in rate limits) stay on the test run's own."""

import json
import logging
import os
import shutil
import signal
import tempfile
from pathlib import Path

import pytest

from hub import celery_app
from hub.models import Tag
from hub.procs import start_private_redis, stop
from tests.docker.test_commit_history import (
    assert_page_matches_docker_history,
    measured_tag_page,
    page_layers,
    tag_page,
)

pytestmark = pytest.mark.integration


@pytest.fixture(params=["hung", "down"])
def broker_away(request):
    """Celery publishes to a redis-server of this test's own, which is then hung or killed;
    ``back()`` gives Celery its usual broker again."""
    # Not tmp_path: a Unix socket's path may be ~107 bytes at most.
    scratch = Path(tempfile.mkdtemp(prefix="wharf-broker-"))
    proc = start_private_redis(scratch)
    usual = celery_app.conf.broker_url
    celery_app.conf.broker_url = f"redis+socket://{scratch}/redis.sock"
    if request.param == "hung":
        os.kill(proc.pid, signal.SIGSTOP)
    else:
        proc.kill()
        proc.wait()

    class Away:
        @staticmethod
        def back():
            celery_app.conf.broker_url = usual

    yield Away
    celery_app.conf.broker_url = usual
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGCONT)
    stop([proc])
    shutil.rmtree(scratch, ignore_errors=True)


def test_a_push_succeeds_without_the_broker_and_the_page_shows_compressed_sizes(
    docker, wharf, alice, broker_away, caplog
):
    docker.login("alice")
    name = docker.container_name()
    docker("run", "--network", "none", "--name", name, docker.ref("busybox"),
           "sh", "-c", "head -c 300000 /dev/zero > /zeros")  # fmt: skip
    target = docker.ref("alice/app:offline")
    docker("commit", name, target)

    with caplog.at_level(logging.WARNING, logger="hub.tasks"):
        pushed = docker("push", target)

    assert "offline: digest: sha256:" in pushed.stdout
    manifest = Tag.objects.get(repository__name="app", name="offline").manifest
    assert f"manifest {manifest.pk}: layer sizes not queued" in caplog.text
    # The layer this push made: its compressed size (300,000 zeros gzip to a few hundred
    # bytes), said to be compressed, where docker history says 300 kB.
    made = page_layers(tag_page(wharf, "alice/app", "offline"))[-1]
    layer = manifest_layers(manifest)[-1]
    assert made["compressed"] and made["bytes"] == layer["size"] < 10_000

    # With the broker back, pushing again measures what the first push could not.
    broker_away.back()
    docker("push", target)
    page = measured_tag_page(wharf, "alice/app", "offline")
    shown = assert_page_matches_docker_history(docker, target, page)
    assert shown[-1]["bytes"] == 300_000


def manifest_layers(manifest) -> list[dict]:
    return json.loads(bytes(manifest.content))["layers"]
