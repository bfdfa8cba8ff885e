"""Who runs a build's commands, and where their files live.

A worker running as root does not build as root. Every git and buildah command of a build runs
as ``WHARF_BUILD_USER`` (default ``wharf-build``: an unprivileged user with subordinate uid and
gid ranges, made by scripts/build-user.sh), so buildah is rootless: a RUN step's "root" is that
user, inside a user namespace.

Each command also starts in a PID namespace of its own (util-linux's ``unshare``). Its first
process is killed when the worker dies (parent-death signal), and the kernel then kills every
process of the namespace, RUN steps included: a killed worker leaves nothing running.

The workspace belongs to the worker; the build user owns only what its commands write::

    <root>/                      the worker's, 0711
      containers-<user>/         the user's: layer storage and run dir of buildah
      share-<user>/              the user's: XDG_DATA_HOME (containers' blob-info cache)
      work/build-<id>-…/         the worker's, one per build, removed after it
        auth.json                the worker's, readable by the user's group: push credential
        home/ src/ tmp/ out/     the user's: HOME, checkout, TMPDIR, image ID and digests

The worker writes into the user's directories only before the build's first command runs (its
HOME files), and reads from them only without following links.

Without root none of this is possible, or needed: commands run as the worker's own user (buildah
is rootless already), each in its own process group. Where a root worker's host refuses (no such
user, no subordinate ids, user namespaces turned off), builds run as root, every build log says
why, and the worker tries again a few minutes later.
"""

import hashlib
import os
import pwd
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

PROBE_TIMEOUT = 60
RETRY_FALLBACK_SECONDS = 300
MAX_OUTPUT_FILE = 4096


class WorkspaceError(OSError):
    """The workspace is not what it must be (a link, or someone else's)."""


@dataclass(frozen=True)
class Sandbox:
    root: Path  # the build workspace: layer storage and per-build scratch dirs
    user: str  # who the commands run as, for the build log
    uid: int | None = None  # set when commands drop from root to the build user
    gid: int | None = None
    pid_namespace: bool = False
    note: str = ""  # why builds are less isolated than they could be; said in every build log

    @property
    def containers(self) -> Path:
        return self.root / f"containers-{self.user}"

    @property
    def storage(self) -> Path:
        return self.containers / "storage"

    @property
    def runroot(self) -> Path:
        return self.containers / "run"

    @property
    def share(self) -> Path:
        return self.root / f"share-{self.user}"  # XDG_DATA_HOME of builds: the blob-info cache

    def command(self, args: list[str]) -> list[str]:
        """``args`` as the build user, in a PID namespace that dies with the worker."""
        prefix: list[str] = []
        if self.pid_namespace:
            prefix += ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc"]
        if self.uid is not None:
            # Changing uid clears the parent-death signal, so setpriv sets it again.
            prefix += [
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
        return prefix + args

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
    )
    hit = _cache.get(key)
    if hit and (not hit[1].note or time.monotonic() - hit[0] < RETRY_FALLBACK_SECONDS):
        return hit[1]
    sandbox = _resolve(*key)
    _cache[key] = (time.monotonic(), sandbox)
    return sandbox


def _resolve(user: str, euid: int, configured: str, data_dir: str) -> Sandbox:
    if euid != 0:
        root = Path(configured) if configured else Path(data_dir) / "builds"
        return _prepared(Sandbox(root=root, user=_user_name(euid)))
    pid_namespace = _pid_namespaces_work()
    try:
        entry = None if user == "root" else pwd.getpwnam(user)
    except KeyError:
        why = f"user {user!r} does not exist (run scripts/setup.sh as root to create it)"
        return _as_root(configured, data_dir, pid_namespace, why)
    if entry is None:
        return _as_root(configured, data_dir, pid_namespace, "")
    if not _has_subordinate_ids(entry):
        why = f"user {user!r} has no ranges in /etc/subuid and /etc/subgid"
        return _as_root(configured, data_dir, pid_namespace, why)
    root = Path(configured) if configured else _workspace_for(entry, Path(data_dir))
    sandbox = Sandbox(
        root=root, user=user, uid=entry.pw_uid, gid=entry.pw_gid, pid_namespace=pid_namespace
    )
    try:
        _worker_dir(root)
        if not _reachable(root, entry):
            why = f"{user!r} cannot reach {root} (set WHARF_BUILD_DIR to a place it can)"
            return _as_root(configured, data_dir, pid_namespace, why)
        _prepared(sandbox)
    except OSError as exc:
        return _as_root(configured, data_dir, pid_namespace, f"cannot prepare {root}: {exc}")
    problem = _probe_user_namespace(sandbox)
    if problem:
        why = f"{user!r} cannot build rootless here: {problem}"
        return _as_root(configured, data_dir, pid_namespace, why)
    return sandbox


def _as_root(configured: str, data_dir: str, pid_namespace: bool, why: str) -> Sandbox:
    root = Path(configured) if configured else Path(data_dir) / "builds"
    note = ""
    if why:
        note = f"note: building as root, because {why}; set WHARF_BUILD_USER=root to silence this"
    return _prepared(Sandbox(root=root, user="root", pid_namespace=pid_namespace, note=note))


def _prepared(sandbox: Sandbox) -> Sandbox:
    _worker_dir(sandbox.root)
    _worker_dir(sandbox.root / "work")
    sandbox._user_dir(sandbox.containers)
    sandbox._user_dir(sandbox.storage)
    sandbox._user_dir(sandbox.runroot)
    sandbox._user_dir(sandbox.share)
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


def _has_subordinate_ids(entry: pwd.struct_passwd) -> bool:
    def listed(path: str) -> bool:
        try:
            lines = Path(path).read_text().splitlines()
        except OSError:
            return False
        return any(line.split(":")[0] in (entry.pw_name, str(entry.pw_uid)) for line in lines)

    return listed("/etc/subuid") and listed("/etc/subgid")


def _pid_namespaces_work() -> bool:
    try:
        probe = ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc", "true"]
        return subprocess.run(probe, capture_output=True, timeout=PROBE_TIMEOUT).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _probe_user_namespace(sandbox: Sandbox) -> str:
    """Empty when buildah, as the build user, can enter its user namespace; else why not."""
    args = sandbox.command(
        [
            "buildah",
            "--root",
            str(sandbox.storage),
            "--runroot",
            str(sandbox.runroot),
            "--storage-driver",
            "vfs",
            "unshare",
            "true",
        ]
    )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(sandbox.root)}
    try:
        result = subprocess.run(
            args, env=env, cwd=sandbox.root, capture_output=True, text=True, timeout=PROBE_TIMEOUT
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        return lines[-1][:300] if lines else f"exit code {result.returncode}"
    return ""
