"""Builder backends: buildah (default) and docker. Each builds a context and pushes tags.

Unqualified base images (``FROM busybox``) resolve to Wharf's own registry — the library
namespace — through a registries configuration the backend writes, so builds need no internet.
"""

import base64
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

from builds.sandbox import Sandbox


@dataclass
class BuildSpec:
    context_dir: Path
    dockerfile: Path
    build_args: dict[str, str]
    no_cache: bool
    image: str  # this build's own local name for its result, untagged after the push
    cache_name: str  # the repository's local name, shared by its builds: keeps the layer cache
    scratch: Path

    @property
    def iidfile(self) -> Path:
        """Where the builder writes the ID of the image this build made.

        Two builds of one repository at once both move ``cache_name``; each names its own image
        by ``image`` first (the builder reports the ID of its first name) and pushes by this ID.
        """
        return self.scratch / "out" / "image-id"


def _registry_url() -> str:
    # WHARF_BUILD_REGISTRY is a URL (http://web:8000) when workers reach the registry at another
    # address than the public one; by default they use WHARF_URL.
    return settings.WHARF_BUILD_REGISTRY or settings.WHARF_URL


def registry_host() -> str:
    return urlsplit(_registry_url()).netloc


def registry_is_plain_http() -> bool:
    return _registry_url().startswith("http://")


class BuildahBackend:
    name = "buildah"
    sandboxed = True  # its commands run as the build user (builds.sandbox)

    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox

    @staticmethod
    def home_files() -> dict[str, str]:
        """The build's own registries.conf, where containers/image looks first.

        A per-user $HOME/.config/containers/registries.conf makes the library skip the system
        one *and* its drop-in directory, whose short-name aliases would send `busybox` to
        docker.io; CONTAINERS_REGISTRIES_CONF alone still loads those drop-ins.
        """
        host = registry_host()
        insecure = str(registry_is_plain_http()).lower()
        return {
            ".config/containers/registries.conf": (
                f'unqualified-search-registries = ["{host}"]\n'
                'short-name-mode = "permissive"\n\n'
                f'[[registry]]\nlocation = "{host}"\ninsecure = {insecure}\n'
            )
        }

    def _base(self) -> list[str]:
        # vfs works on every host (no overlay or fuse needed); the layer cache works with it too.
        return [
            "buildah",
            "--root",
            str(self.sandbox.storage),
            "--runroot",
            str(self.sandbox.runroot),
            "--storage-driver",
            "vfs",
        ]

    def env(self, spec: BuildSpec) -> dict[str, str]:
        return {
            **{k: v for k, v in os.environ.items() if k in ("PATH", "LANG")},
            "HOME": str(spec.scratch / "home"),
            "REGISTRY_AUTH_FILE": str(spec.scratch / "auth.json"),
            "BUILDAH_ISOLATION": "chroot",
            "TMPDIR": str(spec.scratch / "tmp"),
            # containers/image remembers there which compressed blob each layer became and
            # where it was pushed; kept across builds (HOME is not), pushes of cached layers
            # reuse the same blobs, so an unchanged build pushes the same digest.
            "XDG_DATA_HOME": str(self.sandbox.share),
        }

    def login_file(self, spec: BuildSpec, username: str, password: str) -> None:
        auth = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.sandbox.write(
            spec.scratch / "auth.json",
            json.dumps({"auths": {registry_host(): {"auth": auth}}}),
            secret=True,
        )

    def build_command(self, spec: BuildSpec) -> list[str]:
        args = [
            *self._base(),
            "bud",
            "--isolation",
            "chroot",
            "--layers",
            "-f",
            str(spec.dockerfile),
            "-t",
            spec.image,
            "-t",
            spec.cache_name,
            "--iidfile",
            str(spec.iidfile),
            # With CAP_SYS_CHROOT a RUN step leaves the chroot (chroot into a subdirectory, walk
            # up, chroot again) and reads the host as the build user: other builds' checkouts,
            # credentials and layers. Docker grants it by default; Wharf's builds do without.
            "--cap-drop",
            "CAP_SYS_CHROOT",
        ]
        if registry_is_plain_http():
            args.append("--tls-verify=false")
        if spec.no_cache:
            args.append("--no-cache")
        for key, value in spec.build_args.items():
            args += ["--build-arg", f"{key}={value}"]
        args.append(str(spec.context_dir))
        return args

    def push_command(
        self, spec: BuildSpec, image_id: str, target: str, digest_file: Path
    ) -> list[str]:
        args = [*self._base(), "push", "--digestfile", str(digest_file)]
        if registry_is_plain_http():
            args.append("--tls-verify=false")
        return [*args, image_id.removeprefix("sha256:"), f"docker://{target}"]

    def untag_command(self, spec: BuildSpec) -> list[str]:
        """Drop this build's own name; the image keeps the cache name if no later build took it
        (and its layers stay as the cache either way)."""
        return [*self._base(), "rmi", spec.image]


class DockerBackend:
    """`docker build` + `docker push` against a Docker engine (none runs on Wharf's CI hosts).

    The engine does the isolating; its CLI runs as the worker's user, which may use the engine.
    """

    name = "docker"
    sandboxed = False

    @staticmethod
    def home_files() -> dict[str, str]:
        return {}

    def env(self, spec: BuildSpec) -> dict[str, str]:
        return {**os.environ, "DOCKER_CONFIG": str(spec.scratch / "docker")}

    def login_file(self, spec: BuildSpec, username: str, password: str) -> None:
        (spec.scratch / "docker").mkdir(exist_ok=True)
        auth = base64.b64encode(f"{username}:{password}".encode()).decode()
        (spec.scratch / "docker" / "config.json").write_text(
            json.dumps({"auths": {registry_host(): {"auth": auth}}})
        )

    def build_command(self, spec: BuildSpec) -> list[str]:
        args = ["docker", "build", "-f", str(spec.dockerfile), "-t", spec.image]
        args += ["-t", spec.cache_name]
        args += ["--iidfile", str(spec.iidfile)]
        if spec.no_cache:
            args.append("--no-cache")
        for key, value in spec.build_args.items():
            args += ["--build-arg", f"{key}={value}"]
        return [*args, str(spec.context_dir)]

    def push_command(
        self, spec: BuildSpec, image_id: str, target: str, digest_file: Path
    ) -> list[str]:
        return ["sh", "-c", 'docker tag "$1" "$2" && docker push "$2"', "push", image_id, target]

    def untag_command(self, spec: BuildSpec) -> list[str]:
        return ["docker", "rmi", spec.image]


def get_backend(sandbox: Sandbox):
    if settings.WHARF_BUILDER == "docker":
        if shutil.which("docker") is None:
            raise RuntimeError("WHARF_BUILDER=docker but the docker CLI is not installed")
        return DockerBackend()
    if shutil.which("buildah") is None:
        raise RuntimeError("buildah is not installed (apt-get install buildah)")
    return BuildahBackend(sandbox)
