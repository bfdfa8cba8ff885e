"""Blob uploads: sessions, chunks, completion with digest verification, cross-repository mounts.

Bytes stream from the request to the blob store (a session file, or S3 multipart parts) while
they are hashed; on completion the digest the client claims is checked, and only then do the
bytes become that blob (hub/registry/storage/base.py says how each store does it). A blob that
is already stored is not stored again: identical layers pushed to two repositories share it.

Nothing about a session lives only in one process: its row holds the bytes so far, the store's
notes (``store_state``) and the hash so far, so its PATCHes may land on any web process or host.
"""

import hashlib
import re
import threading
from collections.abc import Iterable, Iterator

from django.db import transaction
from django.utils import timezone

from hub import dbconn
from hub.models import Blob, Repository, RepositoryBlob, Upload
from hub.registry import digests, hashstate
from hub.registry.errors import (
    BlobUploadInvalid,
    BlobUploadUnknown,
    DigestInvalid,
    RangeInvalid,
    SizeInvalid,
)
from hub.registry.storage import UploadClosed, UploadState, get_store

# 19 digits reach past any upload; longer positions are malformed (and int() refuses 4300+).
CONTENT_RANGE_RE = re.compile(r"^(?:bytes )?(\d{1,19})-(\d{1,19})(?:/(?:\d+|\*))?$")

# Running sha256 of each upload this process has been streaming: (bytes hashed, hash object).
# Completing an upload then needs no second pass over its bytes. Another process resumes the
# hash so far from the Upload row (``hash_state``; or takes ``sha256`` when nothing was
# appended since); when neither matches the upload's size, its bytes are hashed at the end.
_running: dict[str, tuple[int, "hashlib._Hash"]] = {}
_running_lock = threading.Lock()


def _hashing(chunks: Iterable[bytes], h) -> Iterator[bytes]:
    for chunk in chunks:
        h.update(chunk)
        yield chunk


def _counted(chunks: Iterable[bytes], expected: int | None) -> Iterator[bytes]:
    """The chunks, failing the append at their end (so that none of them counts) when they
    were not the ``expected`` number of bytes. The body is read to its end either way."""
    received = 0
    for chunk in chunks:
        received += len(chunk)
        yield chunk
    if expected is not None and received != expected:
        raise SizeInvalid(f"received {received} bytes, expected {expected}")


def _state(upload: Upload) -> UploadState:
    return UploadState(size=upload.size, data=upload.store_state or {})


def upload_start(*, repository: Repository) -> Upload:
    upload = Upload(repository=repository)
    state = get_store().upload_create(upload.uuid)
    upload.size, upload.store_state = state.size, state.data
    upload.save()
    return upload


def upload_get(*, repository: Repository, upload_id: str) -> Upload:
    upload = Upload.objects.filter(uuid=upload_id, repository=repository).first()
    size = get_store().upload_size(upload_id, _state(upload)) if upload else None
    if upload is None or size is None:
        raise BlobUploadUnknown(detail={"uuid": upload_id})
    return upload


def upload_size(*, upload: Upload) -> int:
    return get_store().upload_size(upload.uuid, _state(upload)) or 0


def parse_content_range(value: str) -> tuple[int, int]:
    match = CONTENT_RANGE_RE.match(value.strip())
    if not match or int(match[2]) < int(match[1]):
        raise BlobUploadInvalid("invalid Content-Range; expected <start>-<end>", detail=value)
    return int(match[1]), int(match[2])


def _hash_so_far(upload: Upload, size: int):
    """A hash of the upload's first ``size`` bytes to go on from, or None."""
    key = str(upload.uuid)
    with _running_lock:
        hashed, h = _running.pop(key, (0, None))
    if h is not None and hashed == size:
        return h
    if size == 0:
        return hashstate.new()
    if upload.hashed_size == size:
        return hashstate.resume(upload.hash_state)
    return None


def upload_append(
    *,
    upload: Upload,
    chunks: Iterable[bytes],
    content_range: str = "",
    content_length: int | None = None,
    range_error_headers: dict | None = None,
    last: bool = False,
    digest: str | None = None,
) -> int:
    """Append a chunk; returns the session's new size.

    A chunk must start where the upload stands (else 416, and the client asks where that is);
    a chunk that arrives short (dropped connection) does not count, so resuming starts clean.
    ``last``: the session's final bytes, to be followed by ``upload_finish`` with ``digest``.
    """
    store = get_store()
    state = _state(upload)
    size = store.upload_size(upload.uuid, state) or 0
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
    h = _hash_so_far(upload, size)
    stream = _counted(chunks, expected)
    # The blob it should become, when the whole of it is hashed here from its first byte.
    direct = h is not None and size == 0 and digest is not None and digest.startswith("sha256:")
    dbconn.release()  # receiving the body may take minutes and needs no database
    try:
        state = store.upload_append(
            upload.uuid,
            _hashing(stream, h) if h is not None else stream,
            state=state,
            last=last,
            digest=digest if direct else None,
        )
    except UploadClosed:
        raise BlobUploadInvalid("the upload already has its last bytes; PUT its digest") from None
    hashed = {}
    if h is not None:
        with _running_lock:
            _running[str(upload.uuid)] = (state.size, h)
        hashed = {
            "hashed_size": state.size,
            "sha256": h.copy().hexdigest(),
            "hash_state": hashstate.saved(h),
        }
    fields = {"size": state.size, "store_state": state.data, **hashed}
    Upload.objects.filter(pk=upload.pk).update(updated_at=timezone.now(), **fields)
    for name, value in fields.items():  # the same request may finish it (monolithic uploads)
        setattr(upload, name, value)
    return state.size


def _digest_of(chunks: Iterable[bytes], algorithm: str) -> str:
    h = hashlib.new(algorithm)
    for chunk in chunks:
        h.update(chunk)
    return f"{algorithm}:{h.hexdigest()}"


def upload_finish(*, upload: Upload, digest: str) -> Blob:
    """Verify the upload's bytes against ``digest`` and make them that blob.

    On a mismatch nothing is kept: the session and its bytes are gone.
    """
    algorithm, _ = digests.parse(digest)
    store = get_store()
    state = _state(upload)
    size = store.upload_size(upload.uuid, state)
    actual = None
    if algorithm == "sha256":
        with _running_lock:
            hashed, h = _running.pop(str(upload.uuid), (0, None))
        if h is not None and hashed == size:
            actual = f"sha256:{h.hexdigest()}"
        elif upload.sha256 and upload.hashed_size == size:
            actual = f"sha256:{upload.sha256}"  # hashed by the process that received the bytes
    if actual is not None and actual != digest:  # refused before the store does any more work
        upload_cancel(upload=upload, state=state)
        raise DigestInvalid(detail={"expected": digest, "actual": actual})
    # The store's slow work (fsync; S3's last part and completion) before any transaction.
    sealed = store.upload_seal(upload.uuid, state)
    if sealed.data != state.data:  # a retried PUT must not seal twice
        Upload.objects.filter(pk=upload.pk).update(store_state=sealed.data)
    state = sealed
    if actual is None:
        actual = _digest_of(store.upload_chunks(upload.uuid, state), algorithm)
        if actual != digest:
            upload_cancel(upload=upload, state=state)
            raise DigestInvalid(detail={"expected": digest, "actual": actual})
    state = store.upload_publish(upload.uuid, digest, state)
    return blob_store_upload(
        repository=upload.repository, upload=upload, digest=digest, size=size, state=state
    )


@transaction.atomic
def blob_store_upload(
    *,
    repository: Repository,
    upload: Upload,
    digest: str,
    size: int,
    state: UploadState | None = None,
) -> Blob:
    """Register the verified, sealed and published upload as blob ``digest`` in ``repository``.

    The blob row is locked while the blob is put in place, so a concurrent garbage collection
    (which deletes row and blob under the same lock) can never leave a row without its blob.
    """
    store = get_store()
    state = state or UploadState(size=size)
    now = timezone.now()
    blob = Blob.objects.select_for_update().filter(digest=digest).first()
    if blob is None:
        blob = Blob.objects.create(digest=digest, size=size, created_at=now, last_linked_at=now)
    else:
        Blob.objects.filter(pk=blob.pk).update(last_linked_at=now)
    if not store.exists(digest):
        store.upload_commit(upload.uuid, digest, state=state, sealed=True)
    store.upload_delete(upload.uuid, state)
    RepositoryBlob.objects.get_or_create(repository=repository, blob=blob)
    Upload.objects.filter(pk=upload.pk).delete()
    return blob


def upload_cancel(*, upload: Upload, state: UploadState | None = None) -> None:
    with _running_lock:
        _running.pop(str(upload.uuid), None)
    get_store().upload_delete(upload.uuid, state or _state(upload))
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
