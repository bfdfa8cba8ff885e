"""Content-addressed blob storage on the local filesystem.

Layout under ``$WHARF_DATA_DIR/registry``::

    blobs/sha256/ab/ab12…       one file per digest, written once, never modified
    uploads/<uuid>              the bytes of an upload session so far

An upload becomes a blob by fsync + rename, so a crash never leaves a partial file under a
digest. Files are 0600 and directories 0700 whatever the umask: blobs of private repositories
are nobody else's to read (hub/datadir.py). Everything goes through this one module; a store for
S3-compatible object storage would implement the same methods.
"""

import ctypes
import os
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

from django.conf import settings

from hub import datadir
from hub.registry import digests

CHUNK = 1024 * 1024
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


class BlobStore:
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

    def open(self, digest: str):
        return self.blob_path(digest).open("rb")

    def read(self, digest: str) -> bytes:
        """Whole blob in memory: only for small ones (image configs)."""
        return self.blob_path(digest).read_bytes()

    def iter_range(self, digest: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Bytes start..end (inclusive), in CHUNK pieces."""
        with self.open(digest) as fh:
            fh.seek(start)
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
        """Store small content (e.g. an imported config) under its digest, atomically."""
        path = self.blob_path(digest)
        if path.exists():
            return
        datadir.make_dirs(path.parent)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, datadir.FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), datadir.FILE_MODE)  # a leftover from a crash keeps its mode
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    # --- uploads ---
    def upload_path(self, upload_id) -> Path:
        return self.uploads / str(upload_id)

    def upload_create(self, upload_id) -> None:
        self.upload_path(upload_id).touch(mode=datadir.FILE_MODE, exist_ok=False)

    def upload_size(self, upload_id) -> int | None:
        try:
            return self.upload_path(upload_id).stat().st_size
        except FileNotFoundError:
            return None

    def upload_append(self, upload_id, chunks: Iterable[bytes]) -> int:
        """Append a stream of chunks; returns how many bytes were written.

        Every WRITEBACK_STEP bytes the kernel is asked to start writing them to disk, so the
        fsync that completes the upload finds little left to do (``writeback``).
        """
        written = 0
        with self.upload_path(upload_id).open("ab") as fh:
            start = fh.tell()
            kicked = 0
            for chunk in chunks:
                fh.write(chunk)
                written += len(chunk)
                if written - kicked >= WRITEBACK_STEP:
                    fh.flush()
                    writeback(fh.fileno(), start + kicked, written - kicked)
                    kicked = written
        return written

    def upload_truncate(self, upload_id, size: int) -> None:
        """Drop bytes past ``size`` (a chunk that failed midway must not count)."""
        with self.upload_path(upload_id).open("r+b") as fh:
            fh.truncate(size)

    def upload_digest(self, upload_id, algorithm: str) -> str:
        """Hash the upload's bytes as they are on disk."""
        import hashlib

        h = hashlib.new(algorithm)
        with self.upload_path(upload_id).open("rb") as fh:
            while chunk := fh.read(CHUNK):
                h.update(chunk)
        return f"{algorithm}:{h.hexdigest()}"

    def upload_sync(self, upload_id) -> None:
        """Put the upload's bytes on disk (fsync): before ``upload_commit``, and outside any
        database transaction, which would otherwise hold the write lock while the disk works."""
        with self.upload_path(upload_id).open("rb") as fh:
            os.fchmod(fh.fileno(), datadir.FILE_MODE)  # a session begun by an older version
            os.fsync(fh.fileno())

    def upload_commit(self, upload_id, digest: str, *, synced: bool = False) -> None:
        """Make the upload the blob ``digest`` (fsync unless ``synced``, then an atomic
        rename)."""
        if not synced:
            self.upload_sync(upload_id)
        target = self.blob_path(digest)
        datadir.make_dirs(target.parent)
        os.replace(self.upload_path(upload_id), target)

    def upload_delete(self, upload_id) -> None:
        self.upload_path(upload_id).unlink(missing_ok=True)


@cache
def _store(root: str) -> BlobStore:
    return BlobStore(Path(root))


def get_store() -> BlobStore:
    return _store(str(settings.WHARF_REGISTRY_DIR))
