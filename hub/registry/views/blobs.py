"""``/v2/<name>/blobs/<digest>``: HEAD, GET (with Range) and DELETE."""

import asyncio
import re

from django.http import HttpResponse, StreamingHttpResponse

from hub.models import Blob
from hub.registry import access, digests
from hub.registry.errors import BlobUnknown, RegistryError
from hub.registry.storage import CHUNK, get_store
from hub.registry.uploads import blob_for_repository, blob_touch, blob_unlink
from hub.registry.views.base import empty, registry_view
from hub.registry.views.common import proxy_route, repository_for
from proxy import blobs as proxy_blobs
from proxy.store import blob_link, cached_repository

# Bigger than the storage chunk: each piece costs a thread hop and an ASGI send.
STREAM_CHUNK = 4 * CHUNK
# 19 digits reach past any file; more is unsatisfiable here, and past 4300 int() would refuse.
RANGE_RE = re.compile(r"^bytes=(\d{0,19})-(\d{0,19})$")


class RangeNotSatisfiable(RegistryError):
    code = "BLOB_UNKNOWN"
    status = 416
    message = "requested range not satisfiable"


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """(start, end) inclusive for a single ``bytes=`` range, None for the whole blob."""
    if not header:
        return None
    match = RANGE_RE.match(header.strip())
    if not match or (not match[1] and not match[2]):
        raise RangeNotSatisfiable(headers={"Content-Range": f"bytes */{size}"})
    if match[1]:
        start = int(match[1])
        end = int(match[2]) if match[2] else size - 1
    else:  # suffix range: the last N bytes
        start, end = max(size - int(match[2]), 0), size - 1
    end = min(end, size - 1)
    if start > end or start >= size:
        raise RangeNotSatisfiable(headers={"Content-Range": f"bytes */{size}"})
    return start, end


async def _stream(store, digest: str, start: int, length: int):
    """The blob's bytes in STREAM_CHUNK pieces, read off the event loop so other requests keep
    flowing (from a file, or an S3 GetObject of the range)."""
    if length <= 0:
        return
    fh = await asyncio.to_thread(store.open, digest, start, start + length - 1)
    try:
        remaining = length
        while remaining > 0:
            chunk = await asyncio.to_thread(fh.read, min(STREAM_CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk
    finally:
        await asyncio.to_thread(fh.close)


@registry_view("GET", "HEAD", "DELETE")
def blob(request, name: str, digest: str):
    caller = access.authenticate(request)
    route = proxy_route(caller, name) if request.method != "DELETE" else None
    if route is not None:
        access.require(caller, name, "pull")
        digests.parse(digest)
        return _proxied(request, route, digest)
    if request.method == "DELETE":
        repo = repository_for(caller, name, "delete")
    else:
        repo = repository_for(caller, name, "pull")
    digests.parse(digest)
    found = blob_for_repository(repository=repo, digest=digest)
    store = get_store()
    if found is None or not store.exists(digest):
        raise BlobUnknown(detail={"digest": digest})
    if request.method == "DELETE":
        blob_unlink(repository=repo, blob=found)
        return empty(202, Docker_Content_Digest=digest)
    if request.method == "HEAD" and caller.can(name, "push") and not blob_touch(blob=found):
        # A pusher checking whether to skip an upload: the blob counts as freshly used, so gc
        # spares it until the manifest arrives. Gone meanwhile: say so, and the client uploads.
        raise BlobUnknown(detail={"digest": digest})

    return _stored(request, digest, found.size)


def _proxied(request, route, digest: str):
    """A blob of a cached repository: from here when it is, else as it arrives from upstream
    (one fetch however many ask: proxy/blobs.py)."""
    repo = cached_repository(route, create=False)
    if repo is None:  # clients read the manifest first, which makes the repository
        raise BlobUnknown(detail={"digest": digest})
    store = get_store()
    found = blob_for_repository(repository=repo, digest=digest)
    if found is None:
        found = Blob.objects.filter(digest=digest).first()
        if found is not None and store.exists(digest):
            blob_link(repository=repo, blob=found)
    if found is not None and store.exists(digest):
        return _stored(request, digest, found.size)
    proxy_blobs.fill_start(route=route, repository=repo, digest=digest)
    size, upload_id = proxy_blobs.fill_size(digest)
    if request.method == "HEAD":
        response = HttpResponse()
    else:
        response = StreamingHttpResponse(proxy_blobs.follow(digest, upload_id, size))
    if size is not None:
        response["Content-Length"] = str(size)
    response["Content-Type"] = "application/octet-stream"
    response["Docker-Content-Digest"] = digest
    response["ETag"] = f'"{digest}"'
    return response


def _stored(request, digest: str, size: int):
    """The blob from the store, whole or the Range asked for."""
    store = get_store()
    if request.method == "GET" and (url := store.download_url(digest)):
        # WHARF_S3_REDIRECT: the client fetches the bytes (and any Range) from the store itself.
        response = HttpResponse(status=307)
        response["Location"] = url
        response["Docker-Content-Digest"] = digest
        response["Content-Length"] = "0"
        return response
    byte_range = parse_range(request.headers.get("Range", ""), size)
    start, end = byte_range or (0, size - 1)
    length = end - start + 1 if size else 0
    if request.method == "HEAD":
        response = HttpResponse(status=206 if byte_range else 200)
    else:
        response = StreamingHttpResponse(
            _stream(store, digest, start, length), status=206 if byte_range else 200
        )
    response["Content-Length"] = str(length)
    response["Content-Type"] = "application/octet-stream"
    response["Docker-Content-Digest"] = digest
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = f'"{digest}"'
    response["Cache-Control"] = "max-age=31536000"
    if byte_range:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response
