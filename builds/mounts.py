"""What a ``RUN --mount`` may be here: checked before the builder runs, since buildah 1.28 (the
builder Debian 12 ships) lets some mounts reach the host.

Its bind mounts resolve a symbolic link in their source on the host, not in the stage or the
build context (CVE-2024-1753): ``RUN --mount=type=bind,from=<a stage with ln -s / /x>,source=/x``
or a symlink to ``/`` committed to the repository mounts the worker's whole filesystem, writable,
into the RUN step. Its cache mounts join their ``id`` onto a host path (CVE-2024-9675):
``id=../../..`` mounts any host directory. Either would hand a RUN step every other repository's
layer store and build directories. So, on every RUN of the Dockerfile and every ONBUILD trigger
of its bases:

- bind mounts come from the build context only (no ``from=``), and their source is a path in it
  with no symbolic link on the way, checked in the checkout once the build user can no longer
  change it (builds.sandbox ``seal``);
- cache mounts take an ``id`` of plain characters and no ``from=`` or ``source=``;
- secret mounts name a secret of this repository; tmpfs mounts are fine; others are refused;
- options are only those listed: nothing reaches the builder that was not looked at here.
"""

import os
import re
import stat
from pathlib import Path

from builds.dockerfile import Mount

TARGET = {"target", "dst", "destination"}
ALLOWED = {
    "bind": TARGET | {"type", "source", "src", "readonly", "ro", "rw", "readwrite"},
    "cache": TARGET | {"type", "id", "sharing", "mode", "uid", "gid", "readonly", "ro"},
    "tmpfs": TARGET | {"type", "size", "tmpfs-size", "tmpfs-mode", "mode"},
    "secret": TARGET | {"type", "id", "required", "mode", "uid", "gid"},
}
CACHE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class MountRefused(Exception):
    """A RUN --mount this hub will not build (the message is the build's error)."""


def _where(mount: Mount, origin: str) -> str:
    return f"{origin}line {mount.line}: RUN --mount={mount.spec}"


def _bind_source(mount: Mount, context: Path, where: str) -> None:
    source = (mount.options.get("source") or mount.options.get("src") or ["."])[-1]
    parts = [p for p in source.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise MountRefused(f"{where}: the source must stay inside the build context (no “..”)")
    path = context
    for part in parts:
        path = path / part
        try:
            st = path.lstat()
        except OSError:
            raise MountRefused(f"{where}: {source} is not in the build context") from None
        if stat.S_ISLNK(st.st_mode):
            raise MountRefused(
                f"{where}: {source} is a symbolic link in the repository, which this builder "
                "would follow on the host; mount what it points to instead"
            )


def check(mounts: list[Mount], *, context: Path, secrets: set[str], origin: str = "") -> None:
    """Refuse the first mount that is not allowed (see the module docstring)."""
    for mount in mounts:
        where = _where(mount, origin)
        kind = mount.type
        if kind not in ALLOWED:
            raise MountRefused(f"{where}: {kind} mounts are not supported here")
        if "from" in mount.options:
            raise MountRefused(
                f"{where}: mounts from another stage or image are not supported by this hub's "
                "builder (buildah 1.28 resolves their source on the host, CVE-2024-1753); "
                "COPY --from=<stage> what the step needs instead"
            )
        unknown = sorted(set(mount.options) - ALLOWED[kind])
        if unknown:
            raise MountRefused(f"{where}: {', '.join(unknown)} is not allowed on {kind} mounts")
        if kind == "bind":
            _bind_source(mount, context, where)
        elif kind == "cache":
            for cache_id in mount.options.get("id", []):
                if not CACHE_ID.match(cache_id):
                    raise MountRefused(
                        f"{where}: a cache id is letters, digits, _ . and - (not first . or -)"
                    )
        elif kind == "secret":
            for name in mount.options.get("id", []):
                required = (mount.options.get("required") or ["false"])[-1].lower()
                if name not in secrets and required in ("", "true", "1"):
                    raise MountRefused(
                        f"{where}: this repository has no secret {name}; add it in the Builds "
                        "tab's Secrets (or POST …/build-secrets/)"
                    )


def seal(sandbox, checkout: Path) -> None:
    """Make the checkout the worker's: from now on no command of the build (RUN steps
    included) can change it, so what ``check`` saw of the build context stays what the builder
    uses. The build user's group may enter its top directory (and no one else); inside, modes
    stay as git made them, less group and other write: COPY keeps them in the image. Links
    are changed, never followed."""
    if sandbox.uid is None:  # builds run as the worker's own user: nothing to take away
        return
    for directory, dirnames, filenames in os.walk(checkout):
        for name in [*dirnames, *filenames]:
            path = Path(directory) / name
            st = path.lstat()
            os.chown(path, 0, sandbox.gid, follow_symlinks=False)
            if not stat.S_ISLNK(st.st_mode):
                path.chmod(stat.S_IMODE(st.st_mode) & ~0o022)
    os.chown(checkout, 0, sandbox.gid)
    checkout.chmod(0o750)
