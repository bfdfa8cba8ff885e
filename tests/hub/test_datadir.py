"""The data dir is private: 0700, files 0600, the build user kept out (hub/datadir.py)."""

import os
import pwd
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from hub.registry.storage import BlobStore
from tests.hub.serving import BASE_DIR, hub_env, manage, start_hub

BUILD_USER = "wharf-build"
KEY = "k" * 50


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def parent():
    """A scratch directory others may pass through, as /srv or a home directory often is: what
    keeps them out of a data dir in it is the data dir's own mode."""
    scratch = Path(tempfile.mkdtemp(prefix="wharf-datadir-"))
    scratch.chmod(0o755)
    yield scratch
    shutil.rmtree(scratch, ignore_errors=True)


def loose_data_dir(parent: Path) -> Path:
    """A data dir as older versions left it: 0755, files 0644, a blob deep inside."""
    data = parent / "data"
    blob = data / "registry" / "blobs" / "sha256" / "ab" / ("ab" + "0" * 62)
    blob.parent.mkdir(parents=True)
    blob.write_bytes(b"layer")
    (data / "wharf.sqlite3").touch()  # an empty file is an empty database
    (data / "secret_key").write_text(KEY)
    (data / "builds").mkdir()
    for path in [data, *data.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    (data / "builds").chmod(0o711)  # the build workspace: builds.sandbox's modes, on purpose
    return data


def as_build_user(*args: str) -> subprocess.CompletedProcess:
    if os.geteuid() != 0:
        pytest.skip("only root can run commands as the build user")
    try:
        pwd.getpwnam(BUILD_USER)
    except KeyError:
        pytest.skip(f"no user {BUILD_USER} (scripts/build-user.sh creates it)")
    command = ["setpriv", "--reuid", BUILD_USER, "--regid", BUILD_USER, "--init-groups", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=30, cwd="/")


def test_fresh_data_dir_is_private_and_so_is_its_database(parent):
    data = parent / "data"

    result = manage(data, "migrate", "--no-input")

    assert result.returncode == 0, result.stderr
    assert mode(data) == 0o700
    assert mode(data / "wharf.sqlite3") == 0o600
    assert mode(data / "secret_key") == 0o600
    assert "readable by others" not in result.stderr
    # SQLite gives the write-ahead log and shared-memory files the database's mode, whatever
    # the umask of the process that makes them (this one's is the usual 022).
    with sqlite3.connect(data / "wharf.sqlite3") as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE probe (x)")
        assert mode(data / "wharf.sqlite3-wal") == 0o600
        assert mode(data / "wharf.sqlite3-shm") == 0o600


def test_loose_data_dir_is_made_private_when_settings_load_and_says_so(parent):
    data = loose_data_dir(parent)

    first = manage(data, "check")
    second = manage(data, "check")

    assert first.returncode == 0, first.stderr
    assert f"wharf: WHARF_DATA_DIR {data} was readable by others (it 0755, " in first.stderr, (
        first.stderr
    )
    assert "made it 0700 (files in it 0600)" in first.stderr
    assert mode(data) == 0o700
    assert mode(data / "wharf.sqlite3") == 0o600
    assert mode(data / "secret_key") == 0o600
    assert mode(data / "registry") == 0o700
    assert mode(data / "builds") == 0o711
    assert "readable by others" not in second.stderr  # said only when something changed


def test_serve_makes_the_whole_data_dir_private_and_keeps_the_build_user_out(parent):
    data = loose_data_dir(parent)
    blob = next((data / "registry" / "blobs").rglob("ab0*"))

    hub = start_hub(data)
    try:
        output = hub.output()
        assert f"wharf: WHARF_DATA_DIR {data} was readable by others (it 0755, " in output
        assert f"in {data} private (they were open to others)" in output
        assert mode(blob) == 0o600
        assert mode(blob.parent) == 0o700
        for path in [data, *data.rglob("*")]:
            if not path.is_relative_to(data / "builds") and not path.is_symlink():
                assert mode(path) & 0o077 == 0, path

        read = as_build_user("cat", str(data / "wharf.sqlite3"))
        listing = as_build_user("ls", str(data))

        assert read.returncode != 0 and "Permission denied" in read.stderr
        assert listing.returncode != 0 and "Permission denied" in listing.stderr
        # Builds moved out of the private data dir, to a workspace of the build user's own.
        root = hub.build_root()
        assert f"builds: {root}  (as {BUILD_USER})" in output
        assert not root.is_relative_to(data)
        passable = as_build_user("stat", str(root / "work"))
        assert passable.returncode == 0, passable.stderr
    finally:
        hub.stop()


def in_read_only_mount(path: Path, *command: str) -> subprocess.CompletedProcess:
    """``command`` in a mount namespace of its own where ``path`` is read-only: chmod fails there
    even for root, as it does on files of another user's."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare for a private read-only mount")
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    result = subprocess.run(
        ["unshare", "--mount", "sh", "-c", script, "sh", str(path), *command],
        cwd=BASE_DIR,
        env=hub_env(path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if "mount:" in result.stderr:
        pytest.skip(f"cannot make a private read-only mount here: {result.stderr.strip()}")
    return result


def test_data_dir_that_cannot_be_made_private_stops_start_up(parent):
    data = loose_data_dir(parent)

    result = in_read_only_mount(data, sys.executable, "manage.py", "check")

    assert result.returncode != 0
    assert (
        f"WHARF_DATA_DIR: {data} is open to others (0755) and cannot be made private: "
        "Read-only file system; make it the hub's user's (chown) or chmod go-rwx it"
    ) in result.stderr


def test_entries_that_cannot_be_made_private_are_named(parent):
    data = loose_data_dir(parent)
    data.chmod(0o700)
    code = (
        "import sys; from pathlib import Path; from hub.datadir import make_tree_private;"
        "fixed, failed = make_tree_private(Path(sys.argv[1])); print(*failed, sep='\\n')"
    )

    result = in_read_only_mount(data, sys.executable, "-c", code, str(data))

    assert result.returncode == 0, result.stderr
    assert (
        f"{data / 'registry'} is open to others (0755) and cannot be made private: "
        "Read-only file system" in result.stdout
    )


def test_blob_store_makes_files_0600_and_directories_0700_whatever_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        store = BlobStore(tmp_path / "registry")
        store.upload_create("u1")
        store.upload_append("u1", [b"layer bytes"])
        store.upload_commit("u1", "sha256:" + "ab" * 32)
        store.put_bytes(b"{}", "sha512:" + "cd" * 64)
    finally:
        os.umask(previous)

    made = [tmp_path / "registry", *(tmp_path / "registry").rglob("*")]
    assert len([p for p in made if p.is_file()]) == 2
    assert {oct(mode(p)) for p in made if p.is_file()} == {oct(0o600)}
    assert {oct(mode(p)) for p in made if p.is_dir()} == {oct(0o700)}
