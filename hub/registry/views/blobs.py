"""``/v2/<name>/blobs/<digest>``: HEAD, GET (with Range) and DELETE."""

import asyncio
import re

from django.http import HttpResponse, StreamingHttpResponse

from hub.registry import access, digests
from hub.registry.errors import BlobUnknown, RegistryError
from hub.registry.storage import CHUNK, get_store
from hub.registry.uploads import blob_for_repository, blob_touch, blob_unlink
from hub.registry.views.base import empty, registry_view
from hub.registry.views.common import repository_for

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


async def _stream(path, start: int, length: int):
    """File bytes in CHUNK pieces, read off the event loop so other requests keep flowing."""
    fh = await asyncio.to_thread(open, path, "rb")
    try:
        await asyncio.to_thread(fh.seek, start)
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

    size = found.size
    byte_range = parse_range(request.headers.get("Range", ""), size)
    start, end = byte_range or (0, size - 1)
    length = end - start + 1 if size else 0
    if request.method == "HEAD":
        response = HttpResponse(status=206 if byte_range else 200)
    else:
        response = StreamingHttpResponse(
            _stream(store.blob_path(digest), start, length), status=206 if byte_range else 200
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
