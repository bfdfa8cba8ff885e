"""The data dir is private: only the user Wharf runs as may enter it.

It holds what must not leak to other local users — above all to the build user, whose RUN
steps run code from anyone who may trigger a build: the SQLite database (live session keys, so
a staff session means /admin/), the generated secret key, blobs of private repositories, and the
private Redis's socket and data. Directories are 0700 and files 0600.

Two passes keep it so. Every process does a cheap one when it reads its settings: the data dir
itself and what sits directly in it, one directory listing. `manage.py serve` walks the whole
tree once at start-up, for data dirs made by older versions or copied in with loose modes.

The build workspace (``builds/``, when it is in the data dir) is left alone: builds.sandbox sets
its modes on purpose (passable by the build user, the user's own directories inside), and its
layer stores hold image files whose modes are part of the images.

Standard library only: settings import it before Django is set up.
"""

import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent.parent / "var"  # var/ of the checkout


def configured() -> Path:
    """The data directory WHARF_DATA_DIR names (absolute), else the checkout's var/."""
    return Path(os.environ.get("WHARF_DATA_DIR", str(DEFAULT)).strip()).resolve()


DIR_MODE = 0o700
FILE_MODE = 0o600
OTHERS = 0o077  # the group's and everyone else's bits
BUILD_WORKSPACE = "builds"
_NAMED_IN_NOTE = 4


class NotPrivate(OSError):
    """The data dir is open to others and cannot be closed (someone else's files, say)."""


def make_private(data_dir: Path, *, skip: Iterable[Path] = ()) -> str:
    """Create ``data_dir`` 0700, or close an existing one and the entries directly in it.

    Returns a one-line note saying what had to change ("" when nothing did), for the caller to
    print. Raises NotPrivate when something open cannot be changed, FileNotFoundError and other
    OSErrors when the directory cannot be created.
    """
    try:
        # Only the last component is made here; parents (e.g. /srv/wharf) are not Wharf's to hide.
        data_dir.mkdir(mode=DIR_MODE, parents=True)
    except FileExistsError:
        pass
    else:
        data_dir.chmod(DIR_MODE)  # whatever the umask was
        return ""
    leave = {data_dir / BUILD_WORKSPACE, *skip}
    loose = [(data_dir, data_dir.lstat().st_mode)]
    with os.scandir(data_dir) as entries:
        for entry in entries:
            path = Path(entry.path)
            if path in leave:
                continue
            try:
                loose.append((path, entry.stat(follow_symlinks=False).st_mode))
            except FileNotFoundError:  # removed meanwhile (a SQLite -shm, say)
                continue
    loose = [(path, mode) for path, mode in loose if _open_to_others(mode)]
    for path, mode in loose:
        _close(path, mode)
    if not loose:
        return ""
    named = [
        f"{'it' if path == data_dir else path.name} {stat.S_IMODE(mode):04o}"
        for path, mode in loose
    ]
    if len(named) > _NAMED_IN_NOTE:
        named[_NAMED_IN_NOTE:] = [f"{len(named) - _NAMED_IN_NOTE} more"]
    return (
        f"wharf: WHARF_DATA_DIR {data_dir} was readable by others ({', '.join(named)}); "
        f"made it {DIR_MODE:04o} (files in it {FILE_MODE:04o})"
    )


def make_tree_private(data_dir: Path, *, skip: Iterable[Path] = ()) -> tuple[int, list[str]]:
    """Take the group's and others' bits off everything under ``data_dir``, links not followed.

    Returns how many entries changed, and a message for each one that could not be changed.
    """
    leave = {data_dir / BUILD_WORKSPACE, *skip}
    fixed, failed = 0, []
    for root, dirs, files in os.walk(data_dir):
        here = Path(root)
        dirs[:] = [name for name in dirs if here / name not in leave]
        paths = [here / name for name in (*dirs, *files) if here / name not in leave]
        if here == data_dir:
            paths.append(here)
        for path in paths:
            try:
                mode = path.lstat().st_mode
                if _open_to_others(mode):
                    _close(path, mode)
                    fixed += 1
            except FileNotFoundError:
                continue
            except OSError as exc:
                failed.append(str(exc))
    return fixed, failed


def create_private_file(path: Path) -> None:
    """Create ``path`` empty and 0600 unless it exists.

    For the SQLite database: SQLite would make it 0644, and its -wal and -shm files take the
    database's mode. An empty file is an empty database to SQLite.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)


def make_dirs(path: Path) -> None:
    """``mkdir -p`` whose new directories are 0700 (os.makedirs gives that mode to the last one
    only)."""
    if path.is_dir():
        return
    make_dirs(path.parent)
    try:
        path.mkdir(mode=DIR_MODE)
    except FileExistsError:
        pass


@contextmanager
def private_umask() -> Iterator[None]:
    """Files and directories made inside are 0600 and 0700 (umask 077).

    Only around code that writes into the data dir alone: a process-wide umask would reach what
    is made elsewhere too (the build workspace's parents under /var/lib, which the build user
    must pass through) and the files of build checkouts, whose modes end up in images.
    """
    previous = os.umask(OTHERS)
    try:
        yield
    finally:
        os.umask(previous)


def _open_to_others(mode: int) -> bool:
    return not stat.S_ISLNK(mode) and bool(mode & OTHERS)


def _close(path: Path, mode: int) -> None:
    try:
        path.chmod(stat.S_IMODE(mode) & ~OTHERS)
    except OSError as exc:
        raise NotPrivate(
            f"{path} is open to others ({stat.S_IMODE(mode):04o}) and cannot be made private: "
            f"{exc.strerror}; make it the hub's user's (chown) or chmod go-rwx it",
        ) from exc
