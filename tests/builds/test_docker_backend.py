"""The docker backend end to end. No Docker engine can run here, so a stand-in `docker` command
does each `build`, `tag` and `push` it is given with buildah, against Wharf's real registry.
What is tested is Wharf's side: the commands it runs, the credentials it hands over, the digest
it reads back from `docker push`'s output."""

import stat

import pytest

from builds import builders
from hub.models import Tag
from tests.builds.support import log_text, make_git_repo, start, wait_final

pytestmark = pytest.mark.integration

STAND_IN = r"""#!/bin/sh
# Stand-in for the docker CLI with an engine behind it (tests/builds/test_docker_backend.py).
set -e
echo "docker $*" >> "$WHARF_TEST_DOCKER/calls"
store="--root $WHARF_TEST_DOCKER/storage --runroot $WHARF_TEST_DOCKER/run --storage-driver vfs"
command="$1"; shift
case "$command" in
  build) exec buildah $store bud --isolation chroot --tls-verify=false "$@" ;;
  tag) exec buildah $store tag "${1#sha256:}" "$2" ;;
  push)
    buildah $store push --tls-verify=false --authfile "$DOCKER_CONFIG/config.json" \
      --digestfile "$WHARF_TEST_DOCKER/digest" "$1" "docker://$1"
    echo "${1##*:}: digest: $(cat "$WHARF_TEST_DOCKER/digest") size: 528" ;;
  rmi) exec buildah $store rmi "$@" ;;
  *) echo "stand-in docker: no $command" >&2; exit 2 ;;
esac
"""


def test_the_docker_backend_builds_pushes_and_records_the_digest(
    hub, repo, sources, settings, tmp_path, monkeypatch
):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker").write_text(STAND_IN)
    (bin_dir / "docker").chmod(stat.S_IRWXU)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/local/bin:/usr/bin:/bin")
    monkeypatch.setenv("WHARF_TEST_DOCKER", str(tmp_path))
    settings.WHARF_BUILDER = "docker"
    host = builders.registry_host()  # an engine resolves short names itself, not through Wharf
    dockerfile = f"FROM {host}/library/busybox\nARG WHO\nRUN echo built for $WHO\n"
    source = make_git_repo(sources / "src", {"Dockerfile": dockerfile})

    build = wait_final(start(repo, source, build_args={"WHO": "docker"}, tags=["latest", "v2"]))

    log = log_text(build)
    assert build.status == "success", log
    assert "built for docker" in log
    for name in ("latest", "v2"):
        assert Tag.objects.get(repository=repo, name=name).manifest.digest == build.digest
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls[0].startswith("docker build --pull -f ") and "--build-arg WHO=docker" in calls[0]
    assert "--iidfile" in calls[0] and "-t localhost/wharf-cache:one-off" in calls[0]
    assert calls[1].startswith("docker tag sha256:") and calls[1].endswith(
        f"{host}/builder/app:latest"
    )
    assert calls[2] == f"docker push {host}/builder/app:latest"
    assert calls[4] == f"docker push {host}/builder/app:v2"
    assert calls[5] == f"docker rmi localhost/wharf-build:{build.pk}"
