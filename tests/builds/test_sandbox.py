"""Who a build's commands run as: the unprivileged build user when the worker is root, in a PID
namespace that dies with the worker; the worker's own user otherwise."""

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from builds import sandbox

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="only a root worker drops privileges")


@pytest.fixture
def build_dir(settings):
    """A layer store of the test's own beside the default one, which the build user reaches."""
    path = Path(tempfile.mkdtemp(prefix="test-", dir=sandbox.current().root.parent))
    settings.WHARF_BUILD_DIR = path
    yield path
    shutil.rmtree(path, ignore_errors=True)


def as_sandbox(box: sandbox.Sandbox, script: str, cwd: Path) -> str:
    result = subprocess.run(
        box.command(["sh", "-c", script]),
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@root_only
def test_a_root_worker_builds_as_the_build_user_in_a_pid_namespace(build_dir, settings):
    box = sandbox.current()
    user = pwd.getpwnam(settings.WHARF_BUILD_USER)
    assert box.note == "", box.note
    assert (box.uid, box.gid, box.user) == (user.pw_uid, user.pw_gid, user.pw_name)
    assert box.pid_namespace
    for path in (box.root, box.storage, box.runroot, box.share):
        assert path.stat().st_uid == user.pw_uid
    scratch = box.scratch(7)
    assert scratch.stat().st_uid == user.pw_uid and scratch.stat().st_mode & 0o777 == 0o700

    # The command sees itself as the build user and as the first process of its namespace.
    out = as_sandbox(box, "id -u; echo $$; ls /proc | grep -c '^[0-9]'", cwd=scratch)
    uid, pid, processes = out.split()
    assert uid == str(user.pw_uid) and pid == "1" and int(processes) <= 3


@root_only
def test_files_for_the_build_belong_to_the_build_user_and_stay_private(build_dir):
    box = sandbox.current()
    scratch = box.scratch(8)
    auth = box.write(scratch / "secrets" / "auth.json", '{"auths": {}}')
    assert auth.stat().st_mode & 0o777 == 0o600
    assert auth.stat().st_uid == auth.parent.stat().st_uid == box.uid
    assert as_sandbox(box, f"cat {auth}", cwd=scratch) == '{"auths": {}}'
    # Another unprivileged user cannot read it.
    nobody = subprocess.run(
        ["setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups", "cat", str(auth)],
        capture_output=True,
    )
    assert nobody.returncode != 0


@root_only
def test_a_missing_build_user_falls_back_to_root_and_says_why(build_dir, settings):
    settings.WHARF_BUILD_USER = "no-such-builder"
    box = sandbox.current()
    assert box.uid is None and box.user == "root"
    assert "building as root" in box.note and "'no-such-builder' does not exist" in box.note
    assert "setpriv" not in box.command(["true"])
    # The PID namespace still keeps a killed worker from leaving processes behind.
    assert box.command(["true"])[:1] == ["unshare"]


@root_only
def test_build_user_root_keeps_builds_as_root_without_a_note(build_dir, settings):
    settings.WHARF_BUILD_USER = "root"
    box = sandbox.current()
    assert box.uid is None and box.note == ""
    assert box.root == build_dir


def test_an_unprivileged_worker_runs_commands_as_itself(settings, tmp_path):
    box = sandbox._resolve("wharf-build", 65534, str(tmp_path / "b"), str(tmp_path))
    assert box.uid is None and not box.pid_namespace and box.note == ""
    assert box.command(["buildah", "version"]) == ["buildah", "version"]
    assert box.root == tmp_path / "b" and box.storage.is_dir()


@root_only
def test_the_workspace_is_in_the_data_dir_when_the_build_user_can_reach_it(settings):
    entry = pwd.getpwnam(settings.WHARF_BUILD_USER)
    shared = Path(tempfile.mkdtemp(prefix="wharf-test-data-"))
    try:
        shared.chmod(0o755)
        (shared / "data").mkdir(mode=0o755)
        (shared / "other").mkdir(mode=0o755)
        assert sandbox._workspace_for(entry, shared / "data") == shared / "data" / "builds"
        # A root worker's old workspace there is not handed over: its layers belong to root.
        (shared / "data" / "builds").mkdir(parents=True)
        assert sandbox._workspace_for(entry, shared / "data").parent == Path(entry.pw_dir)
        # Nor when a directory on the way is closed to the user (a data dir under /root).
        shared.chmod(0o700)
        elsewhere = sandbox._workspace_for(entry, shared / "other")
        assert elsewhere.parent == Path(entry.pw_dir) and elsewhere.name.startswith("wharf-")
    finally:
        shutil.rmtree(shared)
