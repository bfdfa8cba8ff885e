"""Builder backends' commands, without running them (the pipeline tests run them for real)."""

from pathlib import Path

import pytest

from builds.builders import BuildahBackend, BuildSpec, DockerBackend
from builds.sandbox import Sandbox
from builds.stores import Store

IMAGE_ID = "sha256:" + "ab" * 32


@pytest.fixture
def spec(tmp_path) -> BuildSpec:
    return BuildSpec(
        context_dir=tmp_path / "src",
        dockerfile=tmp_path / "src" / "Dockerfile",
        build_args={"A": "1"},
        no_cache=True,
        image="localhost/wharf-build:7",
        cache_name="localhost/wharf-cache:rule-3",
        scratch=tmp_path,
    )


def buildah():
    return BuildahBackend(Sandbox(root=Path("/x"), user="b"), Store(Path("/x/repos/5")))


@pytest.mark.parametrize("backend", ["buildah", "docker"])
def test_a_push_names_the_image_this_build_made_not_the_shared_local_name(spec, backend):
    """Builds of one repository share the local name (the layer cache); two at once must not
    push each other's image."""
    made = buildah() if backend == "buildah" else DockerBackend()
    build = made.build_command(spec)
    assert build[build.index("--iidfile") + 1] == str(spec.scratch / "out" / "image-id")
    # The build's own name comes first: builders report the ID of the first name.
    assert build.index(spec.image) < build.index(spec.cache_name)
    push = made.push_command(spec, IMAGE_ID, "hub:8000/alice/app:v1", spec.scratch / "d")
    assert spec.image not in push and spec.cache_name not in push
    assert any("ab" * 32 in arg for arg in push)


def test_buildah_builds_with_the_cache_flags_args_and_without_chroot(spec):
    build = buildah().build_command(spec)
    assert ["--isolation", "chroot"] == build[build.index("--isolation") :][:2]
    # In the repository's own store, and never pulling: its bases were pulled just before.
    assert build[build.index("--root") + 1] == "/x/repos/5/containers/storage"
    assert "--pull=never" in build and not any("tls-verify" in arg for arg in build)
    assert "--layers" in build and "--no-cache" in build
    assert build[build.index("--build-arg") + 1] == "A=1"
    assert build[build.index("--cap-drop") + 1] == "CAP_SYS_CHROOT"
    assert build[-1] == str(spec.context_dir)


def test_the_public_command_line_shows_no_paths_and_no_build_arg_values(spec, tmp_path):
    spec.secrets["NPM_TOKEN"] = tmp_path / "secret-0"
    assert spec.summary("buildah") == (
        "$ buildah bud -f Dockerfile --no-cache --build-arg A --secret id=NPM_TOKEN ."
    )
    full = buildah().build_command(spec)
    assert f"id=NPM_TOKEN,src={tmp_path / 'secret-0'}" in full


def test_the_docker_backend_always_pulls_its_bases(spec):
    assert "--pull" in DockerBackend().build_command(spec)
