"""Builder backends' commands, without running them (the pipeline tests run them for real)."""

from pathlib import Path

import pytest

from builds.builders import BuildahBackend, BuildSpec, DockerBackend
from builds.sandbox import Sandbox

IMAGE_ID = "sha256:" + "ab" * 32


@pytest.fixture
def spec(tmp_path) -> BuildSpec:
    return BuildSpec(
        context_dir=tmp_path / "src",
        dockerfile=tmp_path / "src" / "Dockerfile",
        build_args={"A": "1"},
        no_cache=True,
        image="localhost/wharf/alice/app:build-7",
        cache_name="localhost/wharf/alice/app:latest",
        scratch=tmp_path,
    )


@pytest.mark.parametrize("backend", ["buildah", "docker"])
def test_a_push_names_the_image_this_build_made_not_the_shared_local_name(spec, backend):
    """Builds of one repository share the local name (the layer cache); two at once must not
    push each other's image."""
    made = BuildahBackend(Sandbox(root=Path("/x"), user="b")) if backend == "buildah" else None
    made = made or DockerBackend()
    build = made.build_command(spec)
    assert build[build.index("--iidfile") + 1] == str(spec.scratch / "out" / "image-id")
    # The build's own name comes first: builders report the ID of the first name.
    assert build.index(spec.image) < build.index(spec.cache_name)
    push = made.push_command(spec, IMAGE_ID, "hub:8000/alice/app:v1", spec.scratch / "d")
    assert spec.image not in push and spec.cache_name not in push
    assert any("ab" * 32 in arg for arg in push)


def test_buildah_builds_with_the_cache_flags_args_and_without_chroot(spec):
    build = BuildahBackend(Sandbox(root=Path("/x"), user="b")).build_command(spec)
    assert ["--isolation", "chroot"] == build[build.index("--isolation") :][:2]
    assert "--layers" in build and "--no-cache" in build
    assert build[build.index("--build-arg") + 1] == "A=1"
    assert build[build.index("--cap-drop") + 1] == "CAP_SYS_CHROOT"
    assert build[-1] == str(spec.context_dir)
