"""The docker backend (``WHARF_BUILDER=docker``) end to end, against a real Docker engine.

The worker of the ``hub`` fixture runs in this process, so the engine the tests start
(tests/dockerd.py) is handed to its ``docker`` commands through the environment: DOCKER_HOST,
and a PATH on which Debian's CLI, the engine's own version, comes first. Bases come from Wharf's
registry by their full name (an engine resolves short names to docker.io itself, not through
Wharf), pulled by ``docker build --pull`` with the build's pull credential.

The engine has no bridge network; the classic builder then runs RUN steps with a loopback only,
which is all these Dockerfiles need.
"""

import json
import time
import uuid

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from builds import builders
from builds.services import build_cancel
from hub.models import Tag
from hub.registry import busybox
from tests.builds.support import log_text, make_git_repo, start, wait_final

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not busybox.BUSYBOX.exists(), reason="needs Debian's busybox-static"),
]


@pytest.fixture
def engine(dockerd, hub, settings, monkeypatch):
    """Builds of this test go to the private engine through the docker backend."""
    settings.WHARF_BUILDER = "docker"
    monkeypatch.setenv("DOCKER_HOST", f"unix://{dockerd.sock}")
    # Not /usr/local/bin/docker (a newer CLI, where `docker build` is buildx's): Debian's.
    monkeypatch.setenv("PATH", "/usr/bin:/bin:/usr/sbin:/sbin")
    monkeypatch.delenv("DOCKER_BUILDKIT", raising=False)
    return dockerd


def base() -> str:
    return f"{builders.registry_host()}/library/busybox"


def wait_status(build, status: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while build.status != status and not build.is_final and time.monotonic() < deadline:
        time.sleep(0.2)
        build.refresh_from_db()
    assert build.status == status, log_text(build)
    return build


def test_a_docker_build_pushes_its_tags_and_records_the_digest(engine, repo, sources):
    dockerfile = f"FROM {base()}\nARG WHO\nRUN echo built for $WHO\n"
    source = make_git_repo(sources / "src", {"Dockerfile": dockerfile})

    build = wait_final(start(repo, source, build_args={"WHO": "docker"}, tags=["latest", "v2"]))

    log = log_text(build)
    assert build.status == "success", log
    assert "$ docker build -f Dockerfile --build-arg WHO ." in log
    assert "built for docker" in log  # the RUN step's output, with the build arg
    assert (build.steps, build.step) == (3, 3), log  # docker's "Step 1/3 :" lines count
    assert build.digest.startswith("sha256:") and f"Pushed {build.digest}" in log
    for name in ("latest", "v2"):
        assert Tag.objects.get(repository=repo, name=name).manifest.digest == build.digest
    # The digest Wharf recorded is the one the engine pushed.
    pushed = f"{builders.registry_host()}/builder/app:v2"
    inspect = engine.run("image", "inspect", "--format", "{{json .RepoDigests}}", pushed)
    assert f"{builders.registry_host()}/builder/app@{build.digest}" in json.loads(inspect.stdout)


def test_the_log_streams_over_the_websocket_while_the_build_runs(engine, repo, sources):
    ticks = "".join(f"echo tick {i}; sleep 1; " for i in range(1, 5))
    source = make_git_repo(sources / "src", {"Dockerfile": f"FROM {base()}\nRUN {ticks}\n"})
    build = start(repo, source)

    received = []  # (seconds since connecting, message), as an anonymous viewer of a public repo
    host = builders.registry_host()
    with connect(f"ws://{host}/ws/builds/{build.pk}/", origin=f"http://{host}") as ws:
        began = time.monotonic()
        while True:
            try:
                message = json.loads(ws.recv(timeout=120))
            except ConnectionClosed:  # the server closes the socket after the final status
                break
            received.append((time.monotonic() - began, message))

    build.refresh_from_db()
    assert build.status == "success", log_text(build)
    lines, seen = [], set()  # de-duplicated by seq, as the page does (a replay may overlap)
    for at, message in received:
        for line in message.get("lines", []):
            if line["seq"] not in seen:
                seen.add(line["seq"])
                lines.append((at, line))
    public = build.log_lines.filter(private=False).order_by("seq")
    assert [line["seq"] for _, line in lines] == list(public.values_list("seq", flat=True))
    arrived = {line["text"]: at for at, line in lines}
    ticks_at = [arrived[f"tick {i}"] for i in range(1, 5)]
    # Live: tick 1 reached the viewer seconds before tick 4, not in one batch at the end.
    assert ticks_at == sorted(ticks_at) and ticks_at[-1] - ticks_at[0] >= 2, ticks_at
    final = [at for at, m in received if m["type"] == "status" and m["status"] == "success"]
    assert final and final[0] >= ticks_at[-1]


def test_cancelling_a_docker_build_stops_its_container(engine, repo, sources):
    source = make_git_repo(sources / "src", {"Dockerfile": f"FROM {base()}\nRUN sleep 60\n"})
    build = wait_status(start(repo, source), "building")
    deadline = time.monotonic() + 60
    while not engine.run("ps", "-q").stdout.strip() and time.monotonic() < deadline:
        time.sleep(0.3)  # the RUN step's container is up: the engine is building
    assert engine.run("ps", "-q").stdout.strip(), log_text(build)
    asked = time.monotonic()

    build_cancel(build=build)

    build = wait_final(build, timeout=30)
    assert build.status == "cancelled", log_text(build)
    assert time.monotonic() - asked < 10
    assert "Build cancelled." in log_text(build)
    deadline = time.monotonic() + 10
    while engine.run("ps", "-q").stdout.strip() and time.monotonic() < deadline:
        time.sleep(0.3)
    assert engine.run("ps", "-q").stdout == ""


def test_a_second_build_uses_the_engines_cache_and_no_cache_rebuilds(engine, repo, sources):
    # A step no other build of the session has run, so the first build cannot find it cached.
    marker = uuid.uuid4().hex
    dockerfile = f"FROM {base()}\nRUN echo {marker} > /marker && date +%s%N > /stamp\n"
    source = make_git_repo(sources / "src", {"Dockerfile": dockerfile})

    first = wait_final(start(repo, source))
    cached = wait_final(start(repo, source))
    fresh = wait_final(start(repo, source, no_cache=True))

    assert [first.status, cached.status, fresh.status] == ["success"] * 3, log_text(fresh)
    assert "Using cache" not in log_text(first)
    assert "Using cache" in log_text(cached), log_text(cached)
    assert cached.digest == first.digest  # same image, pushed as the same manifest
    assert "$ docker build -f Dockerfile --no-cache ." in log_text(fresh)
    assert "Using cache" not in log_text(fresh)
    assert fresh.digest != first.digest  # the RUN step ran again (its timestamp changed)
