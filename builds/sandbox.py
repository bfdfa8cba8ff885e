"""Who runs a build's commands, where their files live, and which network they see.

A worker running as root does not build as root. Every git and buildah command of a build runs
as ``WHARF_BUILD_USER`` (default ``wharf-build``: an unprivileged user with subordinate uid and
gid ranges, made by scripts/build-user.sh), so buildah is rootless: a RUN step's "root" is that
user, inside a user namespace.

Each command also starts in a PID namespace of its own (util-linux's ``unshare``). Its first
process is killed when the worker dies (parent-death signal), and the kernel then kills every
process of the namespace, RUN steps included: a killed worker leaves nothing running. The
builder itself starts in a network namespace of its own too (builds.network), so RUN steps do
not reach the worker's loopback.

Every repository has a layer store of its own: a build sees only the images and cache entries
its own repository's builds made or pulled, never another repository's (builds.stores).

The workspace belongs to the worker; the build user owns only what its commands write::

    <root>/                      the worker's, 0711
      repos/<repository id>/     the worker's, 0711: one repository's store (builds.stores)
        lock                     the worker's: builds hold it shared, a prune exclusive
        containers/              the user's: layer storage and run dir of buildah
        share/                   the user's: XDG_DATA_HOME (containers' blob-info cache)
      work/build-<id>-…/         the worker's, one per build, removed after it
        auth.json                the worker's, readable by the user's group: the credential
                                 of the phase under way (pull or push), absent in between
        home/ src/ tmp/ out/     the user's: HOME, checkout, TMPDIR, image ID and digests

The worker writes into the user's directories only before the build's first command runs (its
HOME files), and reads from them only without following links.

Without root none of this is possible, or needed: commands run as the worker's own user (buildah
is rootless already), each in its own process group, sharing the worker's network. Where a root
worker's host refuses (no such user, no subordinate ids, user namespaces turned off, no
slirp4netns), builds run with what the host allows, every build log says what is missing and
why, and the worker tries again a few minutes later.
"""

import hashlib
import os
import pwd
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from builds import jail as jails
from builds import network, probes

RETRY_FALLBACK_SECONDS = 300
MAX_OUTPUT_FILE = 4096


class WorkspaceError(OSError):
    """The workspace is not what it must be (a link, or someone else's)."""


@dataclass(frozen=True)
class Sandbox:
    root: Path  # the build workspace: per-repository stores and per-build scratch dirs
    user: str  # who the commands run as, for the build log
    uid: int | None = None  # set when commands drop from root to the build user
    gid: int | None = None
    pid_namespace: bool = False
    private_network: bool = False  # the builder starts in a network namespace of its own
    jailed: bool = False  # the builder sees a root of its own (builds.jail)
    note: str = ""  # why builds are less isolated than they could be; said in every build log

    def command(
        self,
        args: list[str],
        *,
        net: network.PrivateNetwork | None = None,
        jail: tuple[Path, ...] = (),
    ) -> list[str]:
        """``args`` as the build user, in a PID namespace that dies with the worker; in a
        network namespace of its own when ``net`` is given (builds.network); and, given
        ``jail`` (a directory for the root, then the paths it holds), in a filesystem that has
        only those (builds.jail)."""
        inner: list[str] = []
        if self.uid is not None:
            # Changing uid clears the parent-death signal, so setpriv sets it again.
            inner += [
                "setpriv",
                "--reuid",
                str(self.uid),
                "--regid",
                str(self.gid),
                "--init-groups",
                "--pdeathsig",
                "KILL",
                "--",
            ]
        inner += args
        jail = jail if self.jailed else ()
        resolv = net.resolv_conf if net is not None else None
        if net is None and not jail:
            if self.pid_namespace:
                return ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc", *inner]
            return inner
        namespaces = ["--net"] if net is not None else []
        if jail or resolv:
            namespaces.append("--mount")
        if self.pid_namespace:
            namespaces += ["--pid", "--fork", "--kill-child", "--mount-proc"]
        wrapped = jails.wrap(
            inner,
            gate=net is not None,
            resolv=resolv,
            jail=jail[0] if jail else None,
            paths=tuple(jail[1:]),
        )
        return ["unshare", *namespaces, "--", *wrapped]

    def worker_dir(self, path: Path) -> Path:
        return _worker_dir(path)

    # --- the per-build scratch directory ---

    def scratch(self, build_id: int, home_files: dict[str, str] | None = None) -> Path:
        """A fresh directory for one build, laid out as in the module's docstring.

        ``home_files`` (paths relative to HOME, and their text) are written now, before any
        command of the build runs: HOME is the build user's, and the worker writes there only
        while nothing of that user's can be in it.
        """
        work = _worker_dir(self.root / "work")
        path = Path(tempfile.mkdtemp(prefix=f"build-{build_id}-", dir=work))
        path.chmod(0o711)
        for name in ("home", "src", "tmp", "out"):
            self._user_dir(path / name)
        for name, text in (home_files or {}).items():
            target = path / "home" / name
            for directory in reversed(target.relative_to(path / "home").parents[:-1]):
                self._user_dir(path / "home" / directory)
            self.write(target, text)
        return path

    def write(self, path: Path, text: str, *, secret: bool = False) -> Path:
        """A new file for the commands to read, never written through a link.

        A ``secret`` is readable by the build user's group only (the worker's own user when
        commands do not drop); anything else by all.
        """
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        fd = os.open(path, flags, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            mode = 0o644
            if secret and self.gid is not None:
                os.fchown(handle.fileno(), -1, self.gid)
                mode = 0o640
            elif secret:
                mode = 0o600
            os.fchmod(handle.fileno(), mode)
        return path

    @staticmethod
    def read_output(path: Path) -> str:
        """What a command wrote to a small file in out/ (empty when it wrote none).

        Only a regular file is read, never through a link: out/ belongs to the build user.
        """
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            return ""
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise WorkspaceError(f"{path} is not a regular file")
            return handle.read(MAX_OUTPUT_FILE).decode("utf-8", "replace").strip()

    def _user_dir(self, path: Path) -> None:
        """A directory of the build user's, made in a worker-owned directory (or there already,
        and the user's)."""
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            st = path.lstat()
            owner = self.uid if self.uid is not None else os.geteuid()
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != owner:
                raise WorkspaceError(f"{path} is not a directory of {self.user}'s") from None
            return
        if self.uid is not None:
            os.chown(path, self.uid, self.gid)


def _worker_dir(path: Path) -> Path:
    """A directory of the worker's own that others may pass through but not change."""
    path.mkdir(parents=True, exist_ok=True, mode=0o711)
    st = path.lstat()
    if not stat.S_ISDIR(st.st_mode):
        raise WorkspaceError(f"{path} is not a directory")
    if st.st_uid != os.geteuid():
        os.chown(path, os.geteuid(), os.getegid(), follow_symlinks=False)
    if stat.S_IMODE(st.st_mode) & 0o733 != 0o711:  # passable by all, writable by the worker only
        path.chmod(stat.S_IMODE(st.st_mode) & 0o744 | 0o711)
    return path


_cache: dict[tuple, tuple[float, Sandbox]] = {}


def current() -> Sandbox:
    """This worker's sandbox: decided at its first build, again later if it had to fall back."""
    key = (
        settings.WHARF_BUILD_USER,
        os.geteuid(),
        str(settings.WHARF_BUILD_DIR or ""),
        str(settings.DATA_DIR),
        settings.WHARF_BUILD_NETWORK,
    )
    hit = _cache.get(key)
    if hit and (not hit[1].note or time.monotonic() - hit[0] < RETRY_FALLBACK_SECONDS):
        return hit[1]
    sandbox = _resolve(*key)
    _cache[key] = (time.monotonic(), sandbox)
    return sandbox


def _resolve(user: str, euid: int, configured: str, data_dir: str, net: str) -> Sandbox:
    if euid != 0:
        root = Path(configured) if configured else Path(data_dir) / "builds"
        note = ""
        if net == "private":
            note = (
                "note: RUN steps share the worker's network, and the builder sees the worker's "
                "files, because the worker is not root"
            )
        return _prepared(Sandbox(root=root, user=_user_name(euid), note=note))
    pid_namespace = probes.pid_namespaces_work()
    private_network, why_not = False, ""
    if net == "private":
        why_not = network.probe()
        private_network = not why_not
    why_network = f"RUN steps share the worker's network, because {why_not}" if why_not else ""
    base = Path(configured) if configured else Path(data_dir) / "builds"
    try:
        _worker_dir(base)
        why_jail = jails.probe(base / "probe-root")
    except OSError as exc:
        why_jail = str(exc)
    jailed = not why_jail
    if why_jail:
        why_network = "; ".join(
            filter(None, [why_network, f"the builder sees the host's files, because {why_jail}"])
        )

    def as_root(why: str) -> Sandbox:
        return _as_root(
            configured, data_dir, pid_namespace, private_network, jailed, why, why_network
        )

    try:
        entry = None if user == "root" else pwd.getpwnam(user)
    except KeyError:
        return as_root(f"user {user!r} does not exist (run scripts/setup.sh as root to create it)")
    if entry is None:
        return as_root("")
    if not probes.has_subordinate_ids(entry):
        return as_root(f"user {user!r} has no ranges in /etc/subuid and /etc/subgid")
    root = Path(configured) if configured else _workspace_for(entry, Path(data_dir))
    sandbox = Sandbox(
        root=root,
        user=user,
        uid=entry.pw_uid,
        gid=entry.pw_gid,
        pid_namespace=pid_namespace,
        private_network=private_network,
        jailed=jailed,
        note=_note(why_network),
    )
    try:
        _worker_dir(root)
        if not _reachable(root, entry):
            return as_root(f"{user!r} cannot reach {root} (set WHARF_BUILD_DIR to a place it can)")
        _prepared(sandbox)
    except OSError as exc:
        return as_root(f"cannot prepare {root}: {exc}")
    problem = probes.user_namespace_problem(sandbox)
    if problem:
        return as_root(f"{user!r} cannot build rootless here: {problem}")
    return sandbox


def _note(*reasons: str) -> str:
    reasons = tuple(r for r in reasons if r)
    return "; ".join(f"note: {r}" for r in reasons)


def _as_root(
    configured: str,
    data_dir: str,
    pid_namespace: bool,
    private_network: bool,
    jailed: bool,
    why: str,
    why_network: str,
) -> Sandbox:
    root = Path(configured) if configured else Path(data_dir) / "builds"
    why_root = ""
    if why:
        why_root = f"building as root, because {why}; set WHARF_BUILD_USER=root to silence this"
    return _prepared(
        Sandbox(
            root=root,
            user="root",
            pid_namespace=pid_namespace,
            private_network=private_network,
            jailed=jailed,
            note=_note(why_root, why_network),
        )
    )


def _prepared(sandbox: Sandbox) -> Sandbox:
    _worker_dir(sandbox.root)
    _worker_dir(sandbox.root / "work")
    _worker_dir(sandbox.root / "repos")
    return sandbox


def _workspace_for(entry: pwd.struct_passwd, data_dir: Path) -> Path:
    """The data dir's builds/ when the build user can pass through to it; otherwise (a data dir
    under /root, say) a directory of the worker's under /var/lib/wharf."""
    if _reachable(data_dir, entry):
        return data_dir / "builds"
    key = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    return Path("/var/lib/wharf") / f"builds-{key}"


def _reachable(path: Path, entry: pwd.struct_passwd) -> bool:
    """Whether ``entry``'s user may pass through every existing directory down to ``path``."""
    for directory in [*reversed(path.parents), path]:
        try:
            st = directory.stat()
        except FileNotFoundError:
            return True  # the worker makes the rest, passable (0711)
        except OSError:
            return False
        if st.st_uid == entry.pw_uid:
            bit = stat.S_IXUSR
        elif st.st_gid == entry.pw_gid:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not st.st_mode & bit:
            return False
    return True


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # an id without a passwd entry, as some container platforms assign
        return f"uid{uid}"
