"""RUN --mount cannot reach the host (builds/mounts.py): the escapes buildah 1.28 allows are
refused before it runs, a context bind mount still works. Real buildah, real registry."""

import os
import tempfile
from pathlib import Path

import pytest

from builds import services
from hub.registry import busybox
from hub.registry.importer import import_layout
from hub.registry.ocilayout import LAYER_GZIP, LayoutWriter, tar_layer
from tests.builds.support import git, log_text, make_git_repo, start, wait_final

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not busybox.BUSYBOX.exists(), reason="needs Debian's busybox-static"),
]


def refused(repo, sources, files: dict[str, str], *, link: str = "") -> str:
    """Build ``files`` (and a symlink ``rootlink`` to ``link``, committed); the build's error."""
    path = make_git_repo(sources / f"src-{len(os.listdir(sources))}", files)
    if link:
        os.symlink(link, path / "rootlink")
        git("add", "-A", cwd=path)
        git("commit", "-q", "-m", "a link", cwd=path)
    build = wait_final(start(repo, path))
    log = log_text(build)
    assert build.status == "failed", log
    public = "\n".join(build.log_lines.filter(private=False).values_list("text", flat=True))
    assert "/var/lib" not in public.replace(build.error, "")  # no host listing, no paths
    assert "STEP 2/2" not in log  # refused before the builder ran any RUN step
    return build.error


def test_a_bind_mount_from_a_stage_cannot_reach_the_host(hub, repo, sources):
    """CVE-2024-1753: a symlink to / in a stage, bind-mounted: the host's root, writable."""
    dockerfile = (
        "FROM busybox AS base\nRUN ln -s / /rootdir\nFROM busybox\n"
        "RUN --mount=type=bind,from=base,source=/rootdir,destination=/r,rw ls /r/var/lib\n"
    )
    error = refused(repo, sources, {"Dockerfile": dockerfile})
    assert "line 4: RUN --mount=type=bind,from=base,source=/rootdir,destination=/r,rw" in error
    assert "mounts from another stage or image are not supported" in error
    assert "CVE-2024-1753" in error


def test_a_symlink_in_the_repository_cannot_lead_a_bind_mount_out(hub, repo, sources):
    dockerfile = "FROM busybox\nRUN --mount=type=bind,source=rootlink,target=/r ls /r/var/lib\n"
    error = refused(repo, sources, {"Dockerfile": dockerfile}, link="/")
    assert "rootlink is a symbolic link in the repository" in error


def test_a_cache_id_cannot_climb_out_of_the_cache(hub, repo, sources):
    """CVE-2024-9675: the id is joined onto a host path."""
    dockerfile = "FROM busybox\nRUN --mount=type=cache,id=../../../../../var/lib,target=/r ls /r\n"
    error = refused(repo, sources, {"Dockerfile": dockerfile})
    assert "a cache id is letters, digits" in error


@pytest.mark.parametrize(
    ("run", "message"),
    [
        ("RUN --mount=type=bind,source=../x,target=/r true", "must stay inside the build context"),
        ("RUN --mount=type=bind,source=missing,target=/r true", "missing is not in the build"),
        ("RUN --mount=type=ssh true", "ssh mounts are not supported here"),
        ("RUN --mount=type=secret,id=NOPE,required true", "this repository has no secret NOPE"),
        ("RUN --mount=type=cache,target=/r,source=/ true", "source is not allowed on cache"),
        ("RUN --security=insecure true", "RUN --security is not supported here"),
        ("RUN --mount=type=bind,from=$STAGE true", "without quotes, variables or backslashes"),
        # A tab is as good a separator to the builder as a space.
        ("RUN\t--mount=type=cache,id=../../..,target=/r true", "a cache id is letters"),
    ],
)
def test_other_mounts_the_builder_would_mishandle_are_refused(hub, repo, sources, run, message):
    error = refused(repo, sources, {"Dockerfile": f"FROM busybox\n{run}\n"})
    assert message in error


def test_an_onbuild_trigger_of_a_base_is_checked_like_the_dockerfile(hub, repo, sources):
    """A public base made to escape in whoever builds FROM it."""
    with tempfile.TemporaryDirectory(prefix="wharf-onbuild-") as scratch:
        writer = LayoutWriter(Path(scratch) / "layout")
        data, diff_id = tar_layer({"bin/busybox": busybox.BUSYBOX.read_bytes()})
        layer = writer.add_bytes(data, LAYER_GZIP)
        config = {
            "architecture": "amd64",
            "os": "linux",
            "config": {"OnBuild": ["RUN --mount=type=cache,id=../../..,target=/r ls /r"]},
        }
        writer.add_image(layers=[(layer, diff_id)], config=config, tag="1")
        writer.close()
        import_layout(layout=Path(scratch) / "layout", ref="1", target="library/trap:1")
    build = wait_final(
        start(repo, make_git_repo(sources / "t", {"Dockerfile": "FROM trap:1\nRUN true\n"}))
    )
    assert build.status == "failed", log_text(build)
    assert build.error.startswith("the ONBUILD triggers of trap:1, line 1: RUN --mount=type=cache")


def test_a_context_bind_mount_and_a_secret_mount_still_build(hub, repo, sources):
    services.secret_set(repository=repo, name="TOKEN", value="not-for-the-log")
    dockerfile = (
        "FROM busybox\n"
        "RUN --mount=type=bind,source=conf/app.txt,target=/app.txt "
        "--mount=type=secret,id=TOKEN --mount=type=cache,id=pip,target=/cache "
        "--mount=type=tmpfs,target=/scratch cat /app.txt && test -s /run/secrets/TOKEN\n"
    )
    files = {"Dockerfile": dockerfile, "conf/app.txt": "mounted-from-the-context\n"}
    build = wait_final(start(repo, make_git_repo(sources / "ok", files)))
    assert build.status == "success", log_text(build)
    assert "mounted-from-the-context" in log_text(build)


def test_the_sealed_checkout_keeps_its_modes_in_the_image(hub, repo, sources):
    """The checkout is the worker's once cloned; what COPY puts in the image is as git made it."""
    files = {
        "Dockerfile": (
            "FROM busybox\nCOPY . /app\nRUN stat -c '%a %n' /app/app.sh /app/conf /app/conf/a.txt\n"
        ),
        "app.sh": "#!/bin/sh\n",
        "conf/a.txt": "x\n",
    }
    path = make_git_repo(sources / "modes", files)
    (path / "app.sh").chmod(0o755)
    git("add", "-A", cwd=path)
    git("commit", "-q", "-m", "exec", cwd=path)
    build = wait_final(start(repo, path))
    log = log_text(build)
    assert build.status == "success", log
    assert "755 /app/app.sh" in log and "755 /app/conf" in log and "644 /app/conf/a.txt" in log


def test_a_dockerfile_the_builder_would_preprocess_is_refused(hub, repo, sources):
    """buildah runs a Dockerfile ending in .in through cpp, whose #include nobody checked."""
    files = {"Dockerfile.in": '#include "/etc/passwd"\nFROM busybox\n'}
    path = make_git_repo(sources / "cpp", files)
    build = wait_final(start(repo, path, dockerfile="Dockerfile.in"))
    assert build.status == "failed"
    assert "ends in .in, which the builder would preprocess with cpp" in build.error


def test_an_onbuild_of_a_stage_is_checked_as_it_runs_in_a_later_stage(hub, repo, sources):
    dockerfile = (
        "FROM busybox AS armed\n"
        "ONBUILD RUN --mount=type=cache,id=../../..,target=/r ls /r\n"
        "FROM armed\nRUN true\n"
    )
    error = refused(repo, sources, {"Dockerfile": dockerfile})
    assert error.startswith("line 2: RUN --mount=type=cache,id=../../..,target=/r")
