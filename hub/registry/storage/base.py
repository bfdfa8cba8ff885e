"""The blob store interface every backend implements (filesystem.py, s3.py).

Blobs are content-addressed and written once: a blob appears under its digest whole or not at
all, and only after the registry has verified the digest. An upload session's bytes live in
the store too, never in one process: between requests, what a store needs to find them again
is an ``UploadState``, kept on the session's ``Upload`` row by hub/registry/uploads.py.

An upload goes: ``upload_create``, any number of ``upload_append``, ``upload_seal`` (no more
bytes), ``upload_chunks`` when the caller must hash what was stored, ``upload_publish`` once the
digest is verified (outside any database transaction: the slow part, if any), then
``upload_commit`` under the blob's row lock (quick) and ``upload_delete`` of what is left.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO, Protocol

CHUNK = 1024 * 1024


@dataclass
class UploadState:
    """Where an upload stands in the store: its size, and the store's own notes (JSON-able:
    for S3 the multipart upload's id, its parts' ETags and sizes, the buffered tail)."""

    size: int = 0
    data: dict = field(default_factory=dict)


class UploadClosed(Exception):
    """The upload already received its last bytes (``upload_append(last=True)``)."""


class Store(Protocol):
    """A blob store. Every method may be called from any thread of any process."""

    # --- blobs ---
    def exists(self, digest: str) -> bool:
        """Whether blob ``digest`` is stored."""

    def size(self, digest: str) -> int | None:
        """The stored blob's size in bytes; None when it is not stored."""

    def open(self, digest: str, start: int = 0, end: int | None = None) -> BinaryIO:
        """The blob as a readable file from byte ``start`` on (a context manager), to be read
        no further than ``end`` (inclusive; None: the end) by the caller; raises
        FileNotFoundError when it is not stored."""

    def read(self, digest: str) -> bytes:
        """The whole blob in memory: only for small ones (image configs)."""

    def iter_range(self, digest: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Bytes ``start``..``end`` (inclusive; None: to the end) in CHUNK pieces."""

    def put_bytes(self, data: bytes, digest: str) -> None:
        """Store small content already known to hash to ``digest``, atomically."""

    def put_file(self, fh: BinaryIO, digest: str) -> None:
        """Store a readable file (already verified) as blob ``digest``, streaming it."""

    def delete(self, digest: str) -> None:
        """Remove the blob; nothing happens when it is not stored."""

    def digests(self) -> Iterator[tuple[str, int]]:
        """Every stored blob as (digest, size), in no particular order."""

    def download_url(self, digest: str) -> str | None:
        """A short-lived URL a client may fetch the blob from directly, where the store
        offers one (S3 with ``WHARF_S3_REDIRECT``); None: serve the bytes through Wharf."""

    # --- uploads ---
    def upload_create(self, upload_id) -> UploadState:
        """Begin an empty upload."""

    def upload_size(self, upload_id, state: UploadState) -> int | None:
        """Bytes received so far; None when the store has no such upload."""

    def upload_append(
        self,
        upload_id,
        chunks: Iterable[bytes],
        *,
        state: UploadState | None = None,
        last: bool = False,
        digest: str | None = None,
    ) -> UploadState:
        """Append every chunk, or nothing: when iterating ``chunks`` raises, or the store
        fails, the upload stays as it was and the exception propagates. ``last``: no more
        bytes will follow (UploadClosed for any that do). ``digest``: what the caller expects
        the whole upload to hash to, told before its first byte (a store may then stream it
        towards that blob's place; it still appears there only on ``upload_commit``)."""

    def upload_seal(self, upload_id, state: UploadState) -> UploadState:
        """No more bytes: make them durable and readable as one whole (filesystem: fsync;
        S3: the last part, then the multipart upload completed). Outside any transaction."""

    def upload_chunks(self, upload_id, state: UploadState) -> Iterator[bytes]:
        """The sealed upload's bytes, for a caller that must hash them itself."""

    def upload_publish(self, upload_id, digest: str, state: UploadState) -> UploadState:
        """The verified upload is to become blob ``digest``: do the slow part of that now,
        outside any transaction (S3: the server-side copy). Nothing is served from it before
        ``upload_commit``."""

    def upload_commit(
        self, upload_id, digest: str, *, state: UploadState | None = None, sealed: bool = False
    ) -> None:
        """Make the verified upload blob ``digest``, atomically (seals it first unless
        ``sealed``). Called under the blob's row lock, so it must be quick."""

    def upload_delete(self, upload_id, state: UploadState | None = None) -> None:
        """Drop whatever the upload left in the store; nothing happens when it left nothing."""

    def upload_sweep(self, *, live: dict[str, UploadState], cutoff: datetime, dry_run: bool) -> int:
        """Remove upload leftovers begun before ``cutoff`` that belong to no ``live`` upload
        (a crash between the store's work and the database's); how many there were."""
