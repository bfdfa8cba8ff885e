"""What this host lets a root worker do for builds: checked once per worker (builds.sandbox),
each answer a reason the build logs give when the answer is no."""

import os
import pwd
import subprocess
from pathlib import Path

PROBE_TIMEOUT = 60


def has_subordinate_ids(entry: pwd.struct_passwd) -> bool:
    def listed(path: str) -> bool:
        try:
            lines = Path(path).read_text().splitlines()
        except OSError:
            return False
        return any(line.split(":")[0] in (entry.pw_name, str(entry.pw_uid)) for line in lines)

    return listed("/etc/subuid") and listed("/etc/subgid")


def pid_namespaces_work() -> bool:
    try:
        probe = ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc", "true"]
        return subprocess.run(probe, capture_output=True, timeout=PROBE_TIMEOUT).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def user_namespace_problem(sandbox) -> str:
    """Empty when buildah, as the build user, can enter its user namespace; else why not."""
    probe = sandbox.root / "probe"
    sandbox.worker_dir(probe)
    for name in ("storage", "run"):
        sandbox._user_dir(probe / name)
    args = sandbox.command(
        [
            "buildah",
            "--root",
            str(probe / "storage"),
            "--runroot",
            str(probe / "run"),
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
