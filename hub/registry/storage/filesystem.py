"""Content-addressed blob storage on the local filesystem (the default store).

Layout under ``$WHARF_DATA_DIR/registry``::

    blobs/sha256/ab/ab12…       one file per digest, written once, never modified
    uploads/<uuid>              the bytes of an upload session so far

An upload becomes a blob by fsync + rename, so a crash never leaves a partial file under a
digest. Files are 0600 and directories 0700 whatever the umask: blobs of private repositories
are nobody else's to read (hub/datadir.py). The file is the upload's whole state: this store
ignores ``UploadState.data``. Only this store has ``blob_path``: the registry's fast path
(hub/registry/fastpath/app.py) serves blobs itself where there is a file to send.
"""

import ctypes
import os
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from hub import datadir
from hub.registry import digests
from hub.registry.storage.base import CHUNK, UploadClosed, UploadState

WRITEBACK_STEP = 8 * 1024 * 1024

try:
    _sync_file_range = ctypes.CDLL(None, use_errno=True).sync_file_range
    _sync_file_range.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
except (AttributeError, OSError):  # not Linux
    _sync_file_range = None
SYNC_FILE_RANGE_WRITE = 2


def writeback(fd: int, offset: int, length: int) -> None:
    """Start writing a range of the file to disk without waiting for it (Linux's
    ``sync_file_range(SYNC_FILE_RANGE_WRITE)``); a no-op where there is none. Durability still
    comes from the fsync before a blob becomes visible: this only makes that fsync short."""
    if _sync_file_range is not None:
        _sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE)


class FilesystemStore:
    def __init__(self, root: Path):
        self.root = root
        self.blobs = root / "blobs"
        self.uploads = root / "uploads"
        datadir.make_dirs(self.blobs)
        datadir.make_dirs(self.uploads)

    # --- blobs ---
    def blob_path(self, digest: str) -> Path:
        algorithm, hexdigest = digests.parse(digest)
        return self.blobs / algorithm / hexdigest[:2] / hexdigest

    def exists(self, digest: str) -> bool:
        return self.blob_path(digest).is_file()

    def size(self, digest: str) -> int | None:
        try:
            return self.blob_path(digest).stat().st_size
        except FileNotFoundError:
            return None

    def open(self, digest: str, start: int = 0, end: int | None = None):
        fh = self.blob_path(digest).open("rb")
        if start:
            fh.seek(start)
        return fh

    def read(self, digest: str) -> bytes:
        return self.blob_path(digest).read_bytes()

    def iter_range(self, digest: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        with self.open(digest, start) as fh:
            remaining = None if end is None else end - start + 1
            while remaining is None or remaining > 0:
                chunk = fh.read(CHUNK if remaining is None else min(CHUNK, remaining))
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def delete(self, digest: str) -> None:
        self.blob_path(digest).unlink(missing_ok=True)

    def put_bytes(self, data: bytes, digest: str) -> None:
        self._put(digest, [data])

    def put_file(self, fh, digest: str) -> None:
        self._put(digest, iter(lambda: fh.read(CHUNK), b""))

    def _put(self, digest: str, chunks: Iterable[bytes]) -> None:
        path = self.blob_path(digest)
        if path.exists():
            return
        datadir.make_dirs(path.parent)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, datadir.FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), datadir.FILE_MODE)  # a leftover from a crash keeps its mode
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    def digests(self) -> Iterator[tuple[str, int]]:
        for algorithm in self.blobs.iterdir():
            for path in algorithm.glob("*/*"):
                if path.is_file() and not path.name.startswith("."):
                    yield f"{algorithm.name}:{path.name}", path.stat().st_size

    def download_url(self, digest: str) -> None:
        return None

    # --- uploads ---
    def upload_path(self, upload_id) -> Path:
        return self.uploads / str(upload_id)

    def upload_create(self, upload_id) -> UploadState:
        self.upload_path(upload_id).touch(mode=datadir.FILE_MODE, exist_ok=False)
        return UploadState()

    def upload_size(self, upload_id, state: UploadState | None = None) -> int | None:
        try:
            return self.upload_path(upload_id).stat().st_size
        except FileNotFoundError:
            return None

    def upload_append(
        self,
        upload_id,
        chunks: Iterable[bytes],
        *,
        state: UploadState | None = None,
        last: bool = False,
        digest: str | None = None,
    ) -> UploadState:
        """Every WRITEBACK_STEP bytes the kernel is asked to start writing them to disk, so the
        fsync that completes the upload finds little left to do (``writeback``)."""
        if state is not None and state.data.get("last"):
            raise UploadClosed(upload_id)
        written = 0
        with self.upload_path(upload_id).open("ab") as fh:
            start = fh.tell()
            kicked = 0
            try:
                for chunk in chunks:
                    fh.write(chunk)
                    written += len(chunk)
                    if written - kicked >= WRITEBACK_STEP:
                        fh.flush()
                        writeback(fh.fileno(), start + kicked, written - kicked)
                        kicked = written
            except BaseException:
                fh.flush()
                fh.truncate(start)  # a chunk that failed midway must not count
                raise
        return UploadState(size=start + written, data={"last": True} if last else {})

    def upload_seal(self, upload_id, state: UploadState | None = None) -> UploadState:
        """fsync: the disk's work, before the transaction that commits takes its lock."""
        with self.upload_path(upload_id).open("rb") as fh:
            os.fchmod(fh.fileno(), datadir.FILE_MODE)  # a session begun by an older version
            os.fsync(fh.fileno())
        return state or UploadState(size=self.upload_size(upload_id) or 0)

    def upload_chunks(self, upload_id, state: UploadState | None = None) -> Iterator[bytes]:
        with self.upload_path(upload_id).open("rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk

    def upload_publish(self, upload_id, digest: str, state: UploadState) -> UploadState:
        return state  # a rename: quick enough under the lock

    def upload_commit(
        self, upload_id, digest: str, *, state: UploadState | None = None, sealed: bool = False
    ) -> None:
        """fsync unless ``sealed``, then an atomic rename."""
        if not sealed:
            self.upload_seal(upload_id, state)
        target = self.blob_path(digest)
        datadir.make_dirs(target.parent)
        os.replace(self.upload_path(upload_id), target)

    def upload_delete(self, upload_id, state: UploadState | None = None) -> None:
        self.upload_path(upload_id).unlink(missing_ok=True)

    def upload_sweep(self, *, live: dict[str, UploadState], cutoff: datetime, dry_run: bool) -> int:
        swept = 0
        for path in self.uploads.iterdir():
            if path.name not in live and path.stat().st_mtime < cutoff.timestamp():
                swept += 1
                if not dry_run:
                    path.unlink(missing_ok=True)
        return swept
