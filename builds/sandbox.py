"""Who runs a build's commands, and where their files live.

A worker running as root does not build as root. Every git and buildah command of a build runs
as ``WHARF_BUILD_USER`` (default ``wharf-build``: an unprivileged user with subordinate uid and
gid ranges, made by scripts/setup.sh), so buildah is rootless: a RUN step's "root" is that user
inside a user namespace, and the build's files live in a workspace that user owns.

Each command also starts in a PID namespace of its own (util-linux's ``unshare``). Its first
process is killed when the worker dies (parent-death signal), and the kernel then kills every
process of the namespace, RUN steps included: a killed worker leaves nothing running.

Without root none of this is possible, or needed: commands run as the worker's own user (buildah
is rootless already), each in its own process group. Where a root worker's host refuses (no such
user, no subordinate ids, user namespaces turned off), builds run as root and every build log says
why, so the operator can fix it.
"""

import functools
import hashlib
import os
import pwd
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

PROBE_TIMEOUT = 60


@dataclass(frozen=True)
class Sandbox:
    root: Path  # the build workspace: layer storage and per-build scratch dirs
    user: str  # who the commands run as, for the build log
    uid: int | None = None  # set when commands drop from root to the build user
    gid: int | None = None
    pid_namespace: bool = False
    note: str = ""  # why builds are less isolated than they could be; said in every build log

    @property
    def storage(self) -> Path:
        return self.root / "containers" / "storage"

    @property
    def runroot(self) -> Path:
        return self.root / "containers" / "run"

    @property
    def share(self) -> Path:
        return self.root / "share"  # XDG_DATA_HOME of builds: the blob-info cache

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

    def own(self, path: Path) -> None:
        """Hand ``path`` to the build user (when commands run as one)."""
        if self.uid is not None:
            os.chown(path, self.uid, self.gid, follow_symlinks=False)

    def makedirs(self, path: Path) -> None:
        missing = []
        while not path.exists():
            missing.append(path)
            path = path.parent
        for directory in reversed(missing):
            directory.mkdir(mode=0o700, exist_ok=True)
            self.own(directory)

    def write(self, path: Path, text: str, *, mode: int = 0o600) -> Path:
        """Write a file the build's commands read (configuration, credentials)."""
        self.makedirs(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(path, mode)
        self.own(path)
        return path

    def scratch(self, build_id: int) -> Path:
        """A fresh directory for one build (its checkout, HOME and credentials), removed after."""
        work = self.root / "work"
        self.makedirs(work)
        path = Path(tempfile.mkdtemp(prefix=f"build-{build_id}-", dir=work))
        self.own(path)
        return path


def current() -> Sandbox:
    configured = str(settings.WHARF_BUILD_DIR or "")
    return _resolve(settings.WHARF_BUILD_USER, os.geteuid(), configured, str(settings.DATA_DIR))


@functools.lru_cache(maxsize=16)
def _resolve(user: str, euid: int, configured: str, data_dir: str) -> Sandbox:
    own_root = Path(configured) if configured else Path(data_dir) / "builds"
    if euid != 0:
        return _prepared(Sandbox(root=own_root, user=_user_name(euid)))
    pid_namespace = _pid_namespaces_work()
    as_root = Sandbox(root=own_root, user="root", pid_namespace=pid_namespace)
    if user == "root":
        return _prepared(as_root)
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return _fallback(
            as_root, f"user {user!r} does not exist (run scripts/setup.sh as root to create it)"
        )
    if not _has_subordinate_ids(entry):
        return _fallback(as_root, f"user {user!r} has no ranges in /etc/subuid and /etc/subgid")
    root = Path(configured) if configured else _workspace_for(entry, Path(data_dir))
    sandbox = Sandbox(
        root=root, user=user, uid=entry.pw_uid, gid=entry.pw_gid, pid_namespace=pid_namespace
    )
    try:
        _prepared(sandbox)
    except OSError as exc:
        return _fallback(as_root, f"cannot prepare {root} for {user!r}: {exc}")
    problem = _probe_user_namespace(sandbox)
    if problem:
        return _fallback(as_root, f"{user!r} cannot build rootless here: {problem}")
    return sandbox


def _workspace_for(entry: pwd.struct_passwd, data_dir: Path) -> Path:
    """The data dir's builds/ when the build user can reach it (and it is not a root worker's
    old workspace); otherwise a directory in the user's home, as for a data dir under /root."""
    inside = data_dir / "builds"
    if _reachable(inside.parent, entry) and (
        not inside.exists() or inside.stat().st_uid == entry.pw_uid
    ):
        return inside
    key = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    return Path(entry.pw_dir) / f"wharf-{key}"


def _reachable(path: Path, entry: pwd.struct_passwd) -> bool:
    """Whether ``entry``'s user may pass through every directory down to ``path``."""
    try:
        for directory in [*reversed(path.parents), path]:
            st = directory.stat()
            if st.st_uid == entry.pw_uid:
                bit = stat.S_IXUSR
            elif st.st_gid == entry.pw_gid:
                bit = stat.S_IXGRP
            else:
                bit = stat.S_IXOTH
            if not st.st_mode & bit:
                return False
    except OSError:
        return False
    return True


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # an id without a passwd entry, as some container platforms assign
        return f"uid {uid}"


def _fallback(sandbox: Sandbox, why: str) -> Sandbox:
    note = f"note: building as root, because {why}; set WHARF_BUILD_USER=root to silence this"
    return _prepared(Sandbox(**{**sandbox.__dict__, "note": note}))


def _prepared(sandbox: Sandbox) -> Sandbox:
    sandbox.root.mkdir(parents=True, exist_ok=True, mode=0o700)
    sandbox.own(sandbox.root)
    sandbox.makedirs(sandbox.storage)
    sandbox.makedirs(sandbox.runroot)
    sandbox.makedirs(sandbox.share)
    return sandbox


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
