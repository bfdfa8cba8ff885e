"""Blobs through the pull-through cache: one upstream fetch per blob, however many ask at once.

The first request for a blob Wharf lacks starts a *fill*: a thread of that web process streams
the blob from upstream into an upload file, hashing it, and at the end verifies the digest and
makes it an ordinary blob of the cached repository (``blob_store_upload``: fsync, rename, row).
A Redis key (``SET NX``) makes that thread the only one, across processes; a hash beside it says
where the bytes go and how big the blob is. Every client — the first one too — then reads the
upload file as it grows, and ends when it has the whole blob: bytes reach clients while they are
written, and a client that hangs up stops nothing but itself.

That is the filesystem store. With another (S3) the upload is multipart parts nobody can read
before the end, so the fill also writes the bytes to a spool file under the data dir for readers
on the same host; readers on other hosts (no spool there) wait for the fill's "done" and then
read the blob from the store.

A fill that fails (the upstream goes away, a digest mismatch) is marked failed; clients reading
it are cut off before the end, so they never take a short or wrong blob for a good one, and the
next request starts a new fill. The fill's key expires unless its thread keeps renewing it, so a
process that died mid-fill holds nobody up for long.
"""

import asyncio
import logging
import os
import threading
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection

from hub import datadir
from hub.models import Repository, Upload
from hub.redisconn import get_redis, key
from hub.registry import uploads
from hub.registry.errors import BlobUnknown, RegistryError
from hub.registry.storage import FilesystemStore, get_store
from proxy import errors, progress
from proxy.client import UpstreamError, client_for
from proxy.routes import Route

logger = logging.getLogger(__name__)

LOCK_SECONDS = 30  # a fill's key lives this long unless renewed (every chunk, at most 1/s)
STATE_SECONDS = 600  # a finished fill's record stays for late readers
HEADERS_WAIT = 60.0  # a reader waits this long for the upstream's answer (the blob's size)
STALL_SECONDS = 60.0  # a reader gives up when the file stops growing and the fill is gone
POLL = 0.005
READ_CHUNK = 4 * 1024 * 1024


def _fill_key(digest: str) -> str:
    return key("proxy", "fill", digest)


def _lock_key(digest: str) -> str:
    return key("proxy", "fill-lock", digest)


def _local_path(store, upload_id) -> Path:
    """Where this host's readers find a fill's bytes as they arrive: the upload file itself
    (filesystem store), else the fill's spool file."""
    if isinstance(store, FilesystemStore):
        return store.upload_path(upload_id)
    return Path(settings.WHARF_REGISTRY_DIR) / "spool" / str(upload_id)


def _state(digest: str) -> dict[str, str]:
    raw = get_redis().hgetall(_fill_key(digest))
    return {k.decode(): v.decode() for k, v in raw.items()}


def fill_start(*, route: Route, repository: Repository, digest: str) -> None:
    """Start fetching ``digest`` into ``repository`` unless a fill of it is running anywhere."""
    redis = get_redis()
    token = uuid.uuid4().hex
    if not redis.set(_lock_key(digest), token, nx=True, ex=LOCK_SECONDS):
        return
    if get_store().exists(digest):  # a fill finished since the caller looked: readers find it
        redis.delete(_lock_key(digest))
        return
    upload = uploads.upload_start(repository=repository)
    redis.delete(_fill_key(digest))
    redis.hset(_fill_key(digest), mapping={"state": "starting", "upload": str(upload.uuid)})
    redis.expire(_fill_key(digest), STATE_SECONDS)
    local = progress.begin(digest, str(upload.uuid))
    thread = threading.Thread(
        target=_fill,
        args=(route, repository, upload, digest, token, local),
        name=f"wharf-proxy-fill-{digest[7:19]}",
        daemon=True,
    )
    thread.start()


def _fill(
    route: Route,
    repository: Repository,
    upload: Upload,
    digest: str,
    token: str,
    local: progress.Progress,
) -> None:
    redis = get_redis()
    state_key = _fill_key(digest)
    store = get_store()
    started = time.monotonic()
    try:
        client = client_for(route.upstream)
        stream = client.blob_open(route.remote_name, digest)
        if stream is None:
            raise BlobUnknown(detail={"digest": digest})
        with stream:
            # No size when the upstream sends it chunked: readers then read to the end.
            size = "" if stream.size is None else str(stream.size)
            if not isinstance(store, FilesystemStore):
                # Readers get the last piece only once the blob is stored and linked ("done"):
                # committing to S3 takes longer than a rename, and a client that has the whole
                # blob must find it cached.
                written = _fill_store(store, upload, stream, digest, size, local)
                uploads.upload_finish(upload=upload, digest=digest)
                _filled(route, repository, digest, written, started, local)
                return
            redis.hset(state_key, mapping={"state": "running", "size": size})
            local.start(stream.size)
            renewed = time.monotonic()

            written = 0
            # Written as it comes, without asking the kernel to write it out early (as pushes
            # do): the disk's work would compete with the client writing the same bytes. The
            # fsync below, once every reader has the blob, makes it durable before it counts.
            with store.upload_path(upload.uuid).open("ab") as fh:
                for chunk in stream:  # checks size and digest at its end, and raises
                    fh.write(chunk)
                    fh.flush()  # in the file, for this process's readers woken next
                    written += len(chunk)
                    local.update(written=written, piece=chunk)
                    if time.monotonic() - renewed >= 1:
                        redis.expire(_lock_key(digest), LOCK_SECONDS)
                        renewed = time.monotonic()
        # Every byte is in the file and matched the digest: readers may hand out the end.
        redis.hset(state_key, "state", "verified")
        local.update(state="verified")
        store.upload_seal(upload.uuid)
        uploads.blob_store_upload(repository=repository, upload=upload, digest=digest, size=written)
        _filled(route, repository, digest, written, started, local)
    except Exception as exc:  # the readers must learn it, whatever it was
        error = errors.as_registry_error(exc) if isinstance(exc, UpstreamError) else exc
        if not isinstance(error, RegistryError):
            logger.exception("proxy: fill of %s from %s failed", digest, route.upstream.name)
            error = errors.upstream_failed(route.upstream, str(exc))
        else:
            logger.warning(
                "proxy: fill of %s from %s failed: %s", digest, route.upstream.name, error
            )
        redis.hset(
            state_key,
            mapping={
                "state": "failed",
                "code": error.code,
                "status": str(error.status),
                "message": error.message,
            },
        )
        local.update(state="failed")
        uploads.upload_cancel(upload=upload)
    finally:
        progress.end(digest, local)
        redis.expire(state_key, STATE_SECONDS)
        if redis.get(_lock_key(digest)) == token.encode():
            redis.delete(_lock_key(digest))
        connection.close()


def _filled(
    route: Route,
    repository: Repository,
    digest: str,
    written: int,
    started: float,
    local: progress.Progress,
):
    from proxy.store import links_complete

    links_complete(repository=repository, digest=digest)
    get_redis().hset(_fill_key(digest), "state", "done")
    local.update(state="done")
    logger.info(
        "proxy: cached %s of %s from %s (%d bytes, %.1f s)",
        digest,
        route.remote_name,
        route.upstream.name,
        written,
        time.monotonic() - started,
    )


def _fill_store(
    store, upload: Upload, stream, digest: str, size: str, local: progress.Progress
) -> int:
    """Stream the blob into an upload of a store that is not files here (multipart parts),
    and into a spool file beside, which this host's readers follow; the bytes written."""
    path = _local_path(store, upload.uuid)
    datadir.make_dirs(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, datadir.FILE_MODE)
    # Running once the spool is there: this host's readers open it instead of waiting.
    get_redis().hset(_fill_key(digest), mapping={"state": "running", "size": size})
    local.start(int(size) if size else None)
    renewed = time.monotonic()

    def chunks():  # the stream checks size and digest at its end, and raises
        nonlocal renewed
        written = 0
        with os.fdopen(fd, "wb") as spool:
            for chunk in stream:
                spool.write(chunk)
                spool.flush()
                written += len(chunk)
                local.update(written=written, piece=chunk)
                yield chunk
                if time.monotonic() - renewed >= 1:
                    get_redis().expire(_lock_key(digest), LOCK_SECONDS)
                    renewed = time.monotonic()

    try:
        return uploads.upload_append(upload=upload, chunks=chunks(), last=True, digest=digest)
    finally:  # readers that opened it read on; later ones read the store
        path.unlink(missing_ok=True)


async def _from_store(store, digest: str, upload_id: str):
    """The blob from the store once the fill (on another host) is done; None when it failed
    or its process died."""
    while True:
        state = await asyncio.to_thread(_state, digest)
        if state.get("state") == "done" or not state:
            try:  # done, or its record expired long after: the blob is stored, or gone
                return await asyncio.to_thread(store.open, digest)
            except FileNotFoundError:
                return None
        if state.get("state") == "failed" or state.get("upload") != upload_id:
            return None
        if not await asyncio.to_thread(get_redis().exists, _lock_key(digest)):
            if (await asyncio.to_thread(_state, digest)).get("state") != "done":
                return None
            continue
        await asyncio.sleep(POLL * 10)


def _failure(state: dict[str, str]) -> RegistryError:
    error = RegistryError(state.get("message") or "upstream fetch failed")
    error.code = state.get("code") or "UNKNOWN"
    error.status = int(state.get("status") or 502)
    return error


def fill_size(digest: str) -> tuple[int | None, str]:
    """Wait for the fill's upstream answer: (the blob's size, None when the upstream did not
    say; the upload file's id). Raises the fill's error when it failed before a byte arrived
    (404: BLOB_UNKNOWN, and so on)."""
    if (local := progress.find(digest)) is not None:  # the fill runs here: no need to poll
        if not local.answered.wait(HEADERS_WAIT):
            raise errors.upstream_failed(None, "the upstream did not answer in time")
        if local.state != "failed":
            return local.size, local.upload_id
        # Failed: its error is in the fill's record.
    deadline = time.monotonic() + HEADERS_WAIT
    while True:
        state = _state(digest)
        if state.get("state") == "failed":
            raise _failure(state)
        if "size" in state:
            return (int(state["size"]) if state["size"] else None), state["upload"]
        if not state and not get_redis().exists(_lock_key(digest)):
            raise errors.upstream_failed(None, "the fetch from upstream stopped before it began")
        if time.monotonic() > deadline:
            raise errors.upstream_failed(None, "the upstream did not answer in time")
        time.sleep(POLL * 2)


async def _verified(digest: str, local: progress.Progress | None) -> bool:
    """Wait until the fill has checked the digest: True when it matched, False when it failed."""
    if local is not None:
        await local.wait_for(lambda fill: fill.state in progress.ENDED, STALL_SECONDS)
        return local.state in ("verified", "done")
    started = time.monotonic()
    while time.monotonic() - started < STALL_SECONDS:
        state = await asyncio.to_thread(_state, digest)
        if state.get("state") in ("verified", "done"):
            return True
        if state.get("state") == "failed":
            return False
        if not state:  # expired long after it was done, or gone with a dead process
            return await asyncio.to_thread(get_store().exists, digest)
        await asyncio.sleep(POLL)
    return False


async def _after_end_of_file(
    digest: str, local: progress.Progress | None, sent: int
) -> dict[str, str] | None:
    """The reader has read all there is: the fill's state once more may be there (None: it
    stalled). In this process it wakes the reader; elsewhere Redis is asked, after a pause."""
    if local is None:
        state = await asyncio.to_thread(_state, digest)
        if state.get("state") not in ("verified", "done", "failed", None):
            await asyncio.sleep(POLL)
        return state
    grew = await local.wait_for(
        lambda fill: fill.written > sent or fill.state in progress.ENDED, STALL_SECONDS
    )
    return {"state": local.state, "upload": local.upload_id} if grew else None


async def _read(fh, local: progress.Progress | None, offset: int, most: int) -> bytes:
    """Up to ``most`` bytes at ``offset``: from the fill's memory when it just wrote them here,
    else from the file (the local one by offset; another host's blob as it streams)."""
    if local is None:
        return await asyncio.to_thread(fh.read, most)
    if (piece := local.recent(offset, most)) is not None:
        return piece
    return await asyncio.to_thread(os.pread, fh.fileno(), most, offset)


async def follow(digest: str, upload_id: str, size: int | None):
    """The blob's bytes as the fill writes them, then from the blob once it is stored.

    The last piece is held back until the fill has checked the whole blob against its digest,
    so a client never gets a complete body that is not the blob. Ends early (the client sees a
    short body, and retries) when the fill fails or stalls.
    """
    store = get_store()
    local = progress.find(digest, upload_id)  # the fill runs in this process
    try:
        fh = await asyncio.to_thread(open, _local_path(store, upload_id), "rb")
    except FileNotFoundError:  # done (renamed into place) before this reader began, or the
        # store is not files here and the fill runs on another host
        local = None
        if isinstance(store, FilesystemStore):
            fh = await asyncio.to_thread(store.open, digest)
        elif (fh := await _from_store(store, digest, upload_id)) is None:
            logger.warning("proxy: fill of %s ended without the blob", digest)
            return
    sent = 0
    idle_since = time.monotonic()
    try:
        while size is None or sent < size:
            want = READ_CHUNK if size is None else min(READ_CHUNK, size - sent)
            chunk = await _read(fh, local, sent, want)
            if chunk:
                last = size is not None and sent + len(chunk) >= size
                if last and not await _verified(digest, local):
                    logger.warning("proxy: %s failed its check; the reader is cut off", digest)
                    return
                sent += len(chunk)
                idle_since = time.monotonic()
                yield chunk
                continue
            state = await _after_end_of_file(digest, local, sent)
            if state is None or time.monotonic() - idle_since > STALL_SECONDS:
                logger.warning("proxy: fill of %s stalled at %d of %s bytes", digest, sent, size)
                return
            if size is None and state.get("state") in ("verified", "done", None):
                if not (rest := await _read(fh, local, sent, READ_CHUNK)):
                    return
                sent += len(rest)
                yield rest
                continue
            if state.get("state") == "failed" or state.get("upload") not in (upload_id, None):
                logger.warning("proxy: %s cut off at %d of %s bytes", digest, sent, size)
                return
    finally:
        await asyncio.to_thread(fh.close)
