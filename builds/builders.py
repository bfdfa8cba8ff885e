"""Builder backends: buildah (default) and docker. Each builds a context and pushes tags.

Unqualified base images (``FROM busybox``) resolve to Wharf's own registry — the library
namespace — through a registries configuration the backend writes, so builds need no internet.
"""

import base64
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

from builds.dockerfile import Image
from builds.sandbox import Sandbox
from builds.stores import Store


@dataclass
class BuildSpec:
    context_dir: Path
    dockerfile: Path
    build_args: dict[str, str]
    no_cache: bool
    image: str  # this build's own local name for its result, untagged after the push
    cache_name: str  # its rule's local name, shared by the rule's builds: keeps the layer cache
    scratch: Path
    secrets: dict[str, Path] = field(default_factory=dict)  # id → file, for --secret

    @property
    def iidfile(self) -> Path:
        """Where the builder writes the ID of the image this build made.

        Two builds of one rule at once both move ``cache_name``; each names its own image by
        ``image`` first (the builder reports the ID of its first name) and pushes by this ID.
        """
        return self.scratch / "out" / "image-id"

    @property
    def auth_file(self) -> Path:
        """The registry credential of the phase under way; absent between phases."""
        return self.scratch / "auth.json"

    def summary(self, builder: str) -> str:
        """The build command as the public log shows it: what a user would type, no paths,
        build-arg names without their values."""
        dockerfile = os.path.relpath(self.dockerfile, self.context_dir)
        words = ["$ docker build" if builder == "docker" else "$ buildah bud", "-f", dockerfile]
        if self.no_cache:
            words.append("--no-cache")
        words += [f"--build-arg {key}" for key in self.build_args]
        words += [f"--secret id={name}" for name in self.secrets]
        return " ".join([*words, "."])


def _registry_url() -> str:
    # WHARF_BUILD_REGISTRY is a URL (http://web:8000) when workers reach the registry at another
    # address than the public one; by default they use WHARF_URL.
    return settings.WHARF_BUILD_REGISTRY or settings.WHARF_URL


def registry_host() -> str:
    return urlsplit(_registry_url()).netloc


def registry_is_plain_http() -> bool:
    return _registry_url().startswith("http://")


def _auth(username: str, password: str) -> str:
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    return json.dumps({"auths": {registry_host(): {"auth": auth}}})


class BuildahBackend:
    name = "buildah"
    sandboxed = True  # its commands run as the build user (builds.sandbox)
    prepulls = True  # bases are pulled before the build, which then never pulls

    def __init__(self, sandbox: Sandbox, store: Store):
        self.sandbox = sandbox
        self.store = store

    @staticmethod
    def home_files() -> dict[str, str]:
        """The build's own registries.conf, where containers/image looks first.

        A per-user $HOME/.config/containers/registries.conf makes the library skip the system
        one *and* its drop-in directory, whose short-name aliases would send `busybox` to
        docker.io; CONTAINERS_REGISTRIES_CONF alone still loads those drop-ins. Only Wharf's own
        registry is marked insecure (plain HTTP); every other registry is verified.
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

    def env(self, spec: BuildSpec) -> dict[str, str]:
        return {
            **{k: v for k, v in os.environ.items() if k in ("PATH", "LANG")},
            "HOME": str(spec.scratch / "home"),
            "REGISTRY_AUTH_FILE": str(spec.auth_file),
            "BUILDAH_ISOLATION": "chroot",
            # Temporary files, RUN --mount=type=cache directories and the runtime dir live one
            # build: without these, rootless buildah falls back to /var/tmp/containers-user-<uid>,
            # one directory for every repository's builds.
            "TMPDIR": str(spec.scratch / "tmp"),
            "XDG_RUNTIME_DIR": str(spec.scratch / "tmp"),
            # containers/image remembers there which compressed blob each layer became and
            # where it was pushed; kept across builds of the repository (HOME is not), so
            # pushes of cached layers reuse the same blobs and an unchanged build pushes the
            # same digest.
            "XDG_DATA_HOME": str(self.store.share),
        }

    def login_file(self, spec: BuildSpec, username: str, password: str) -> None:
        spec.auth_file.unlink(missing_ok=True)
        self.sandbox.write(spec.auth_file, _auth(username, password), secret=True)

    def pull_command(self, spec: BuildSpec, image: Image) -> list[str]:
        args = [*self.store.buildah(), "pull", "--policy", "always"]
        if image.platform:
            args += ["--platform", image.platform]
        return [*args, image.reference]

    def build_command(self, spec: BuildSpec) -> list[str]:
        args = [
            *self.store.buildah(),
            "bud",
            "--isolation",
            "chroot",
            "--layers",
            # Everything it needs was pulled into the repository's store just before, with the
            # starter's rights; the build itself never pulls (and has no credential to).
            "--pull=never",
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
        if spec.no_cache:
            args.append("--no-cache")
        for key, value in spec.build_args.items():
            args += ["--build-arg", f"{key}={value}"]
        for name, path in spec.secrets.items():
            args += ["--secret", f"id={name},src={path}"]
        args.append(str(spec.context_dir))
        return args

    def push_command(
        self, spec: BuildSpec, image_id: str, target: str, digest_file: Path
    ) -> list[str]:
        args = [*self.store.buildah(), "push", "--digestfile", str(digest_file)]
        if registry_is_plain_http():  # the target is Wharf's own registry
            args.append("--tls-verify=false")
        return [*args, image_id.removeprefix("sha256:"), f"docker://{target}"]

    def untag_command(self, spec: BuildSpec) -> list[str]:
        """Drop this build's own name; the image keeps the cache name if no later build took it
        (and its layers stay as the cache either way)."""
        return [*self.store.buildah(), "rmi", spec.image]


class DockerBackend:
    """`docker build` + `docker push` against a Docker engine (none runs on Wharf's CI hosts).

    The engine does the isolating; its CLI runs as the worker's user, which may use the engine.
    One engine keeps one image store and build cache for all repositories: ``--pull`` makes every
    build fetch its bases through the registry with the starter's rights, but cached steps are
    the engine's to share. Where tenants must be kept apart, use buildah (the default).
    """

    name = "docker"
    sandboxed = False
    prepulls = False  # `docker build --pull` fetches the bases itself, with the credential

    @staticmethod
    def home_files() -> dict[str, str]:
        return {}

    def env(self, spec: BuildSpec) -> dict[str, str]:
        env = {**os.environ, "DOCKER_CONFIG": str(spec.scratch / "docker")}
        if spec.secrets:
            env["DOCKER_BUILDKIT"] = "1"  # --secret needs BuildKit
        return env

    def login_file(self, spec: BuildSpec, username: str, password: str) -> None:
        (spec.scratch / "docker").mkdir(mode=0o700, exist_ok=True)
        config = spec.scratch / "docker" / "config.json"
        config.unlink(missing_ok=True)
        fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(_auth(username, password))

    def pull_command(self, spec: BuildSpec, image: Image) -> list[str]:
        raise NotImplementedError("docker build pulls its bases itself")

    def build_command(self, spec: BuildSpec) -> list[str]:
        args = ["docker", "build", "--pull", "-f", str(spec.dockerfile), "-t", spec.image]
        args += ["-t", spec.cache_name]
        args += ["--iidfile", str(spec.iidfile)]
        if spec.no_cache:
            args.append("--no-cache")
        for key, value in spec.build_args.items():
            args += ["--build-arg", f"{key}={value}"]
        for name, path in spec.secrets.items():
            args += ["--secret", f"id={name},src={path}"]
        return [*args, str(spec.context_dir)]

    def push_command(
        self, spec: BuildSpec, image_id: str, target: str, digest_file: Path
    ) -> list[str]:
        return ["sh", "-c", 'docker tag "$1" "$2" && docker push "$2"', "push", image_id, target]

    def untag_command(self, spec: BuildSpec) -> list[str]:
        return ["docker", "rmi", spec.image]


def get_backend(sandbox: Sandbox, store: Store):
    if settings.WHARF_BUILDER == "docker":
        if shutil.which("docker") is None:
            raise RuntimeError("WHARF_BUILDER=docker but the docker CLI is not installed")
        return DockerBackend()
    if shutil.which("buildah") is None:
        raise RuntimeError("buildah is not installed (apt-get install buildah)")
    return BuildahBackend(sandbox, store)
