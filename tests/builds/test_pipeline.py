"""Builds end to end: a git repository made here, a real Celery worker, real buildah, the
image pushed into Wharf's registry and pulled back with skopeo."""

import json
import subprocess
import time

import pytest

from builds import sandbox
from builds.models import Build
from builds.reaper import reap_lost
from builds.services import build_cancel
from hub.models import Tag
from hub.registry import busybox
from tests.builds.support import git, log_text, make_git_repo, start, still_running, wait_final

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not busybox.BUSYBOX.exists(), reason="needs Debian's busybox-static"),
]

DOCKERFILE = """\
FROM busybox
ARG GREETING=hello
ENV APP_HOME=/srv/app
COPY greeting.txt /srv/app/greeting.txt
RUN echo "$GREETING from a RUN step" | tee /srv/app/built.txt && date +%s%N > /srv/app/stamp
EXPOSE 8080/tcp
CMD ["cat", "/srv/app/built.txt"]
"""


def test_dockerfile_builds_pushes_and_shows_its_layers(hub, repo, tmp_path, sources):
    source = make_git_repo(sources / "src", {"Dockerfile": DOCKERFILE, "greeting.txt": "hi\n"})

    build = wait_final(start(repo, source, build_args={"GREETING": "howdy"}, tags=["latest", "v1"]))

    log = log_text(build)
    assert build.status == "success", log
    assert build.digest.startswith("sha256:") and len(build.commit_sha) == 40
    assert "STEP 1/7: FROM busybox" in log and "Pushed sha256:" in log
    assert build.steps == 7 and build.step == 7
    tag = Tag.objects.select_related("manifest").get(repository=repo, name="latest")
    assert Tag.objects.get(repository=repo, name="v1").manifest == tag.manifest
    from hub.selectors import platform_details, tag_platforms

    platform = platform_details(platform=tag_platforms(tag=tag)[0])
    made_by = [row["instruction"] for row in platform.layers]
    assert any("RUN" in step and "from a RUN step" in step for step in made_by)
    assert any("COPY" in step for step in made_by) and any("EXPOSE" in s for s in made_by)
    assert platform.config["ExposedPorts"] == {"8080/tcp": {}}
    assert platform.config["Cmd"] == ["cat", "/srv/app/built.txt"]
    assert "APP_HOME=/srv/app" in platform.config["Env"]

    out = tmp_path / "pulled"
    subprocess.run(
        [
            "skopeo",
            "--insecure-policy",
            "copy",
            "--src-tls-verify=false",
            f"docker://{hub.url.removeprefix('http://')}/builder/app:latest",
            f"dir:{out}",
        ],
        check=True,
        capture_output=True,
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["layers"]) >= 3


def test_build_args_reach_the_build(hub, repo, sources):
    source = make_git_repo(sources / "src", {"Dockerfile": DOCKERFILE, "greeting.txt": "hi\n"})
    build = wait_final(start(repo, source, build_args={"GREETING": "bonjour"}))
    assert build.status == "success", log_text(build)
    assert "bonjour from a RUN step" in log_text(build)


def test_cache_reuses_layers_and_no_cache_rebuilds_them(hub, repo, sources):
    source = make_git_repo(sources / "src", {"Dockerfile": DOCKERFILE, "greeting.txt": "hi\n"})
    first = wait_final(start(repo, source))
    cached = wait_final(start(repo, source))
    fresh = wait_final(start(repo, source, no_cache=True))
    assert {first.status, cached.status, fresh.status} == {"success"}
    assert "Using cache" in log_text(cached), log_text(cached)
    assert cached.digest == first.digest  # same layers, same blobs, same image
    assert "Using cache" not in log_text(fresh)
    assert fresh.digest != first.digest  # the RUN step ran again (its timestamp changed)


@pytest.mark.parametrize(
    ("files", "kwargs", "message"),
    [
        (
            {"Dockerfile": DOCKERFILE, "greeting.txt": "x"},
            {"source_ref": "nope"},
            "could not clone",
        ),
        ({"README": "no dockerfile here"}, {}, "no Dockerfile at 'Dockerfile'"),
        ({"Dockerfile": "FROM busybox\nRUN exit 3\n"}, {}, "the build failed"),
        ({"Dockerfile": "FROM busybox\n"}, {"context": "missing"}, "is not a directory"),
        # A well-formed URL where no git server answers (port 9, discard: nothing listens).
        (
            {"Dockerfile": "FROM busybox\n"},
            {"source_url": "git://127.0.0.1:9/nowhere.git"},
            "could not clone git://127.0.0.1:9/nowhere.git",
        ),
    ],
)
def test_failures_end_failed_with_a_clear_message(hub, repo, sources, files, kwargs, message):
    source = make_git_repo(sources / "src", files)
    build = wait_final(start(repo, source, **kwargs))
    assert build.status == "failed"
    assert message in build.error
    assert message in log_text(build)


def test_running_build_is_cancelled_within_seconds(hub, repo, sources):
    # A sleep no other test uses, so pgrep below finds only this build's leftovers.
    source = make_git_repo(sources / "src", {"Dockerfile": "FROM busybox\nRUN sleep 71\n"})
    build = start(repo, source)
    deadline = time.monotonic() + 60
    while build.status != "building" and time.monotonic() < deadline:
        time.sleep(0.2)
        build.refresh_from_db()
    assert build.status == "building"
    time.sleep(1.5)
    asked = time.monotonic()

    build_cancel(build=build)

    build = wait_final(build, timeout=30)
    assert build.status == "cancelled"
    assert time.monotonic() - asked < 10
    assert "Build cancelled." in log_text(build)
    assert not still_running("sleep 71", within=5)


def test_run_steps_are_root_only_inside_a_user_namespace(hub, repo, sources):
    """A root worker builds as the unprivileged build user: a RUN step's uid 0 maps to it."""
    import os
    import pwd

    from django.conf import settings

    if os.geteuid() != 0:
        pytest.skip("the worker is not root, so builds already run unprivileged")
    dockerfile = "FROM busybox\nRUN id -u && cat /proc/self/uid_map\n"
    build = wait_final(start(repo, make_git_repo(sources / "src", {"Dockerfile": dockerfile})))
    log = log_text(build)
    assert build.status == "success", log
    assert "building as root" not in log
    build_user = pwd.getpwnam(settings.WHARF_BUILD_USER)
    lines = log.splitlines()
    maps = [line.split() for line in lines[lines.index("0") + 1 :] if line.split()[:1] == ["0"]]
    # "0 <uid outside> 1": the step's root is the build user, not the host's root.
    assert maps[0][:3] == ["0", str(build_user.pw_uid), "1"], log


def test_builds_of_one_repository_at_once_push_their_own_images(hub, repo, sources):
    """Both builds tag the repository's one local name (the cache); each must push its own."""
    from hub.selectors import platform_details, tag_platforms

    def dockerfile(branch: str) -> str:
        return f"FROM busybox\nENV BRANCH={branch}\nRUN sleep 2 && echo {branch} > /id.txt\n"

    source = make_git_repo(sources / "src", {"Dockerfile": dockerfile("main")})
    git("checkout", "-q", "-b", "other", cwd=source)
    (source / "Dockerfile").write_text(dockerfile("other"))
    git("commit", "-qam", "other", cwd=source)

    builds = [start(repo, source, source_ref=ref, tags=[ref]) for ref in ("main", "other")]

    for build in builds:
        build = wait_final(build)
        assert build.status == "success", log_text(build)
        tag = Tag.objects.get(repository=repo, name=build.source_ref)
        assert tag.manifest.digest == build.digest
        env = platform_details(platform=tag_platforms(tag=tag)[0]).config["Env"]
        assert f"BRANCH={build.source_ref}" in env, "\n\n".join(map(log_text, builds))


def test_a_local_source_the_build_user_cannot_read_says_so(hub, repo, sources):
    box = sandbox.current()
    if box.uid is None:
        pytest.skip("builds run as the worker's own user here")
    (sources / "private").mkdir(mode=0o700)
    source = make_git_repo(sources / "private" / "src", {"Dockerfile": "FROM busybox\n"})
    build = wait_final(start(repo, source))
    assert build.status == "failed"
    assert f"the build user {box.user} cannot read {source}" in build.error
    assert "does not appear to be a git repository" in log_text(build)  # git's own words too


def test_a_run_step_cannot_chroot_out_of_its_build(hub, repo, sources):
    """chroot is how a RUN step would escape chroot isolation; the capability is dropped."""
    dockerfile = "FROM busybox\nRUN mkdir /x && cp /bin/busybox /x/ && chroot /x /busybox true\n"
    build = wait_final(start(repo, make_git_repo(sources / "src", {"Dockerfile": dockerfile})))
    assert build.status == "failed"
    assert "Operation not permitted" in log_text(build)


def test_build_past_its_time_limit_times_out(hub, repo, sources, settings):
    settings.WHARF_BUILD_TIMEOUT = 5
    source = make_git_repo(sources / "src", {"Dockerfile": "FROM busybox\nRUN sleep 72\n"})
    build = wait_final(start(repo, source), timeout=60)
    assert build.status == "timed_out"
    assert "Build timed out after 5 s." in log_text(build)


def test_queued_build_cancelled_never_starts(repo, sources, settings):
    settings.WHARF_BUILD_ALLOW_LOCAL_SOURCES = True
    from builds.pipeline import run

    build = start(repo, make_git_repo(sources / "src", {"Dockerfile": "FROM busybox\n"}))
    build_cancel(build=build)
    run(build.pk)  # what a worker would do when the message arrives later
    build.refresh_from_db()
    assert build.status == "cancelled" and build.started_at is None


def test_a_lost_worker_is_reaped_and_the_next_build_still_works(hub, repo, sources):
    from django.utils import timezone

    lost = Build.objects.create(
        repository=repo,
        source_url="file:///nowhere",
        source_ref="main",
        status="building",
        heartbeat_at=timezone.now() - timezone.timedelta(minutes=10),
    )
    assert reap_lost() == 1
    lost.refresh_from_db()
    assert lost.status == "error" and lost.error == "worker lost"
    source = make_git_repo(sources / "src", {"Dockerfile": 'FROM busybox\nCMD ["true"]\n'})
    assert wait_final(start(repo, source)).status == "success"


def test_builds_from_a_git_daemon_url(hub, repo, sources):
    from tests.conftest import free_port

    source = make_git_repo(sources / "served" / "app.git", {"Dockerfile": "FROM busybox\n"})
    port = free_port()
    daemon = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            "--export-all",
            f"--base-path={sources / 'served'}",
            "--listen=127.0.0.1",
            f"--port={port}",
            str(sources / "served"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.5)
        build = wait_final(start(repo, source, source_url=f"git://127.0.0.1:{port}/app.git"))
    finally:
        daemon.terminate()
        daemon.wait()
    assert build.status == "success", log_text(build)
    assert len(build.commit_sha) == 40


def test_every_line_of_a_chatty_build_is_stored_in_order(hub, repo, sources):
    # buildah drops RUN output its reader does not take at once; 10 % went missing before the
    # output was drained in a thread of its own.
    source = make_git_repo(sources / "src", {"Dockerfile": "FROM busybox\nRUN seq 1 50000\n"})
    build = wait_final(start(repo, source))
    assert build.status == "success"
    numbers = [
        int(t)
        for t in build.log_lines.filter(text__regex=r"^[0-9]+$")
        .order_by("seq")
        .values_list("text", flat=True)
    ]
    assert numbers == list(range(1, 50001))
    seqs = list(build.log_lines.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_builds_of_one_repository_ending_in_the_same_image_take_turns(hub, repo, sources):
    """A Dockerfile that only says FROM ends with its base's image: two such builds at once in
    one store used to drop each other's names ("image not known"). They now take turns."""
    source = make_git_repo(sources / "src", {"Dockerfile": "FROM busybox\n"})
    builds = [start(repo, source, tags=[tag]) for tag in ("a", "b", "c")]
    for build in builds:
        build = wait_final(build)
        assert build.status == "success", log_text(build)
    assert len({wait_final(b).digest for b in builds}) == 1
