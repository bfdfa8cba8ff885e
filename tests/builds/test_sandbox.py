"""Who a build's commands run as: the unprivileged build user when the worker is root, in a PID
namespace that dies with the worker; the worker's own user otherwise. And the workspace: the
worker never writes into, nor reads through a link in, a directory the build user controls."""

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from builds import sandbox, stores

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="only a root worker drops privileges")


@pytest.fixture
def build_dir(settings):
    """A workspace of the test's own beside the default one, which the build user reaches."""
    path = Path(tempfile.mkdtemp(prefix="test-", dir=sandbox.current().root.parent))
    settings.WHARF_BUILD_DIR = path
    yield path
    shutil.rmtree(path, ignore_errors=True)


def as_sandbox(box: sandbox.Sandbox, script: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        box.command(["sh", "-c", script]),
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
    )


def owner(path: Path) -> int:
    return path.lstat().st_uid


@root_only
def test_a_root_worker_builds_as_the_build_user_in_a_pid_namespace(build_dir, settings):
    box = sandbox.current()
    user = pwd.getpwnam(settings.WHARF_BUILD_USER)
    assert box.note == "", box.note
    assert (box.uid, box.gid, box.user) == (user.pw_uid, user.pw_gid, user.pw_name)
    assert box.pid_namespace
    scratch = box.scratch(7)
    # The command sees itself as the build user and as the first process of its namespace.
    result = as_sandbox(box, "id -u; echo $$; ls /proc | grep -c '^[0-9]'", cwd=scratch / "src")
    uid, pid, processes = result.stdout.split()
    assert uid == str(user.pw_uid) and pid == "1" and int(processes) <= 3


@root_only
def test_the_build_user_owns_only_what_its_commands_write(build_dir):
    box = sandbox.current()
    scratch = box.scratch(8)
    for path in (box.root, box.root / "work", scratch):
        assert owner(path) == 0 and path.stat().st_mode & 0o022 == 0
    for name in ("home", "src", "tmp", "out"):
        assert owner(scratch / name) == box.uid
    store = stores.store_for(box, 8)
    assert owner(store.path) == 0 and store.path.stat().st_mode & 0o022 == 0
    for path in (store.storage, store.runroot, store.share):
        assert owner(path) == box.uid
    # It can write its own directories, not the worker's.
    result = as_sandbox(box, "touch out/x && touch y", cwd=scratch)
    assert "Permission denied" in result.stderr
    assert (scratch / "out" / "x").exists() and not (scratch / "y").exists()


@root_only
def test_home_files_are_written_before_any_command_and_readable_to_it(build_dir):
    box = sandbox.current()
    files = {".config/containers/registries.conf": "conf\n", ".gitconfig": "git\n"}
    scratch = box.scratch(11, home_files=files)
    conf = scratch / "home" / ".config" / "containers" / "registries.conf"
    assert owner(conf.parent) == owner(conf.parent.parent) == box.uid  # buildah adds siblings
    read = as_sandbox(box, "cat .config/containers/registries.conf .gitconfig", scratch / "home")
    assert read.stdout == "conf\ngit\n"
    assert conf.read_text() == "conf\n" and conf.stat().st_mode & 0o777 == 0o644


@root_only
def test_the_push_credential_is_readable_by_the_build_user_only(build_dir):
    box = sandbox.current()
    scratch = box.scratch(9)
    auth = box.write(scratch / "auth.json", '{"auths": {}}', secret=True)
    assert auth.stat().st_mode & 0o777 == 0o640 and owner(auth) == 0
    assert as_sandbox(box, f"cat {auth}", cwd=scratch).stdout == '{"auths": {}}'
    nobody = subprocess.run(
        ["setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups", "cat", str(auth)],
        capture_output=True,
    )
    assert nobody.returncode != 0


@root_only
def test_links_the_build_user_plants_are_not_followed(build_dir):
    box = sandbox.current()
    scratch = box.scratch(10)
    secret = build_dir / "worker-only"
    secret.write_text("root's")
    secret.chmod(0o600)
    # The build user puts links where the worker reads the image ID and writes credentials.
    result = as_sandbox(box, f"ln -s {secret} out/image-id", cwd=scratch)
    assert result.returncode == 0, result.stderr
    with pytest.raises(OSError):
        box.read_output(scratch / "out" / "image-id")
    assert box.read_output(scratch / "out" / "missing") == ""
    # A file already there (whoever made it) is never written through.
    os.symlink(secret, scratch / "auth.json")
    with pytest.raises(FileExistsError):
        box.write(scratch / "auth.json", "token", secret=True)
    assert secret.read_text() == "root's"


@root_only
def test_a_missing_build_user_falls_back_to_root_and_says_why(build_dir, settings):
    settings.WHARF_BUILD_USER = "no-such-builder"
    box = sandbox.current()
    assert box.uid is None and box.user == "root"
    assert "building as root" in box.note and "'no-such-builder' does not exist" in box.note
    assert "setpriv" not in box.command(["true"])
    # The PID namespace still keeps a killed worker from leaving processes behind.
    assert box.command(["true"])[:1] == ["unshare"]
    # Each repository's layers live in a store of their own, root's here.
    store = stores.store_for(box, 3)
    assert store.storage == build_dir / "repos" / "3" / "containers" / "storage"
    assert owner(store.storage) == 0


@root_only
def test_build_user_root_keeps_builds_as_root_without_a_note(build_dir, settings):
    settings.WHARF_BUILD_USER = "root"
    box = sandbox.current()
    assert box.uid is None and box.note == ""
    assert box.root == build_dir


def test_an_unprivileged_worker_runs_commands_as_itself(tmp_path):
    box = sandbox._resolve("wharf-build", 65534, str(tmp_path / "b"), str(tmp_path), "host")
    assert box.uid is None and not box.pid_namespace and box.note == ""
    assert not box.private_network
    assert box.command(["buildah", "version"]) == ["buildah", "version"]
    assert box.root == tmp_path / "b" and (box.root / "repos").is_dir()
    # Without root there is no network namespace to give RUN steps; every build log says so.
    private = sandbox._resolve("wharf-build", 65534, str(tmp_path / "c"), str(tmp_path), "private")
    assert "RUN steps share the worker's network" in private.note


@root_only
def test_the_workspace_is_in_the_data_dir_when_the_build_user_can_reach_it(settings):
    entry = pwd.getpwnam(settings.WHARF_BUILD_USER)
    shared = Path(tempfile.mkdtemp(prefix="wharf-test-data-"))
    try:
        shared.chmod(0o755)
        (shared / "data").mkdir(mode=0o755)
        assert sandbox._workspace_for(entry, shared / "data") == shared / "data" / "builds"
        # Not when a directory on the way is closed to the user (a data dir under /root).
        shared.chmod(0o700)
        elsewhere = sandbox._workspace_for(entry, shared / "data")
        assert elsewhere.parent == Path("/var/lib/wharf") and elsewhere.name.startswith("builds-")
    finally:
        shutil.rmtree(shared)


@root_only
def test_a_fallback_to_root_is_tried_again_later(build_dir, settings, monkeypatch):
    settings.WHARF_BUILD_USER = "no-such-builder"
    calls = []
    resolve = sandbox._resolve
    monkeypatch.setattr(sandbox, "_resolve", lambda *key: calls.append(key) or resolve(*key))
    assert sandbox.current().note and sandbox.current().note
    assert len(calls) == 1  # kept meanwhile
    monkeypatch.setattr(sandbox, "RETRY_FALLBACK_SECONDS", 0)
    sandbox.current()
    assert len(calls) == 2
