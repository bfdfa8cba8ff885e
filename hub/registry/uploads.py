"""Blob uploads: sessions, chunks, completion with digest verification, cross-repository mounts.

Bytes stream from the request to the session's file; on completion they are hashed, checked
against the digest the client claims, and renamed into the content-addressed store. A blob that
is already stored is not stored again: identical layers pushed to two repositories share a file.
"""

import hashlib
import re
import threading
from collections.abc import Iterable, Iterator

from django.db import transaction
from django.utils import timezone

from hub.models import Blob, Repository, RepositoryBlob, Upload
from hub.registry import digests
from hub.registry.errors import (
    BlobUploadInvalid,
    BlobUploadUnknown,
    DigestInvalid,
    RangeInvalid,
    SizeInvalid,
)
from hub.registry.storage import get_store

# 19 digits reach past any upload; longer positions are malformed (and int() refuses 4300+).
CONTENT_RANGE_RE = re.compile(r"^(?:bytes )?(\d{1,19})-(\d{1,19})(?:/(?:\d+|\*))?$")

# Running sha256 of each upload this process has been streaming: (bytes hashed, hash object).
# Completing an upload then needs no second pass over its bytes. Another process finds the
# digest so far on the Upload row (``hashed_size``, ``sha256``); when neither matches the file's
# size (a restart, chunks appended by several processes) the file is hashed instead.
_running: dict[str, tuple[int, "hashlib._Hash"]] = {}
_running_lock = threading.Lock()


def _hashing(chunks: Iterable[bytes], h) -> Iterator[bytes]:
    for chunk in chunks:
        h.update(chunk)
        yield chunk


def upload_start(*, repository: Repository) -> Upload:
    upload = Upload.objects.create(repository=repository)
    get_store().upload_create(upload.uuid)
    return upload


def upload_get(*, repository: Repository, upload_id: str) -> Upload:
    upload = Upload.objects.filter(uuid=upload_id, repository=repository).first()
    size = get_store().upload_size(upload_id) if upload else None
    if upload is None or size is None:
        raise BlobUploadUnknown(detail={"uuid": upload_id})
    return upload


def upload_size(*, upload: Upload) -> int:
    return get_store().upload_size(upload.uuid) or 0


def parse_content_range(value: str) -> tuple[int, int]:
    match = CONTENT_RANGE_RE.match(value.strip())
    if not match or int(match[2]) < int(match[1]):
        raise BlobUploadInvalid("invalid Content-Range; expected <start>-<end>", detail=value)
    return int(match[1]), int(match[2])


def upload_append(
    *,
    upload: Upload,
    chunks: Iterable[bytes],
    content_range: str = "",
    content_length: int | None = None,
    range_error_headers: dict | None = None,
) -> int:
    """Append a chunk; returns the session's new size.

    A chunk must start where the upload stands (else 416, and the client asks where that is);
    a chunk that arrives short (dropped connection) is cut off, so resuming starts clean.
    """
    store = get_store()
    size = store.upload_size(upload.uuid) or 0
    expected = None
    if content_range:
        start, end = parse_content_range(content_range)
        if start != size:
            raise RangeInvalid(
                f"chunk starts at {start} but the upload holds {size} bytes",
                headers=range_error_headers or {},
            )
        expected = end - start + 1
    if content_length is not None:
        if expected is not None and content_length != expected:
            raise SizeInvalid("Content-Length does not match Content-Range")
        expected = content_length
    key = str(upload.uuid)
    with _running_lock:
        hashed, h = _running.pop(key, (0, None))
    if h is None or hashed != size:
        h = hashlib.sha256() if size == 0 else None
    try:
        written = store.upload_append(upload.uuid, _hashing(chunks, h) if h else chunks)
    except BaseException:
        store.upload_truncate(upload.uuid, size)
        raise
    if expected is not None and written != expected:
        store.upload_truncate(upload.uuid, size)
        raise SizeInvalid(f"received {written} bytes, expected {expected}")
    hashed = {}
    if h is not None:
        with _running_lock:
            _running[key] = (size + written, h)
        hashed = {"hashed_size": size + written, "sha256": h.copy().hexdigest()}
    Upload.objects.filter(pk=upload.pk).update(updated_at=timezone.now(), **hashed)
    return size + written


def upload_finish(*, upload: Upload, digest: str) -> Blob:
    """Verify the upload's bytes against ``digest`` and make them that blob.

    On a mismatch nothing is kept: the session and its bytes are gone.
    """
    algorithm, _ = digests.parse(digest)
    store = get_store()
    size = store.upload_size(upload.uuid)
    with _running_lock:
        hashed, h = _running.pop(str(upload.uuid), (0, None))
    if h is not None and algorithm == "sha256" and hashed == size:
        actual = f"sha256:{h.hexdigest()}"
    elif algorithm == "sha256" and upload.sha256 and upload.hashed_size == size:
        actual = f"sha256:{upload.sha256}"  # hashed by the process that received the bytes
    else:
        actual = store.upload_digest(upload.uuid, algorithm)
    if actual != digest:
        upload_cancel(upload=upload)
        raise DigestInvalid(detail={"expected": digest, "actual": actual})
    store.upload_sync(upload.uuid)  # the disk's work, before the transaction takes the lock
    return blob_store_upload(repository=upload.repository, upload=upload, digest=digest, size=size)


@transaction.atomic
def blob_store_upload(*, repository: Repository, upload: Upload, digest: str, size: int) -> Blob:
    """Register the verified upload, already on disk (``upload_sync``), as blob ``digest`` in
    ``repository``.

    The blob row is locked while its file is put in place, so a concurrent garbage collection
    (which deletes row and file under the same lock) can never leave a row without its file.
    """
    store = get_store()
    now = timezone.now()
    blob = Blob.objects.select_for_update().filter(digest=digest).first()
    if blob is None:
        blob = Blob.objects.create(digest=digest, size=size, created_at=now, last_linked_at=now)
    else:
        Blob.objects.filter(pk=blob.pk).update(last_linked_at=now)
    if store.exists(digest):
        store.upload_delete(upload.uuid)
    else:
        store.upload_commit(upload.uuid, digest, synced=True)
    RepositoryBlob.objects.get_or_create(repository=repository, blob=blob)
    Upload.objects.filter(pk=upload.pk).delete()
    return blob


def upload_cancel(*, upload: Upload) -> None:
    with _running_lock:
        _running.pop(str(upload.uuid), None)
    get_store().upload_delete(upload.uuid)
    Upload.objects.filter(pk=upload.pk).delete()


@transaction.atomic
def blob_mount(*, repository: Repository, source: Repository, digest: str) -> Blob | None:
    """Link a blob ``source`` already serves into ``repository``; None when it has no such blob."""
    blob = (
        Blob.objects.select_for_update()
        .filter(digest=digest, repository_links__repository=source)
        .first()
    )
    if blob is None or not get_store().exists(digest):
        return None
    Blob.objects.filter(pk=blob.pk).update(last_linked_at=timezone.now())
    RepositoryBlob.objects.get_or_create(repository=repository, blob=blob)
    return blob


def blob_for_repository(*, repository: Repository, digest: str) -> Blob | None:
    """The blob if ``repository`` may serve it (linked to it and present on disk)."""
    return Blob.objects.filter(digest=digest, repository_links__repository=repository).first()


def blob_unlink(*, repository: Repository, blob: Blob) -> None:
    """Remove the blob from this repository only; garbage collection frees unused files."""
    RepositoryBlob.objects.filter(repository=repository, blob=blob).delete()


def blob_touch(*, blob: Blob) -> bool:
    """Mark a blob as just used by a push; False when garbage collection removed it first."""
    return Blob.objects.filter(pk=blob.pk).update(last_linked_at=timezone.now()) == 1
