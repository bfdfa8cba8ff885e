"""``/v2/<name>/blobs/uploads/``: start (plain, monolithic, mount), PATCH, PUT, GET, DELETE."""

from hub.models import Repository
from hub.registry import access, digests, names
from hub.registry import uploads as service
from hub.registry.errors import BlobUploadInvalid, NameInvalid
from hub.registry.views.base import empty, registry_view, request_chunks
from hub.registry.views.common import repository_for_push


def _upload_headers(name: str, upload, size: int) -> dict:
    return {
        "Location": f"/v2/{name}/blobs/uploads/{upload.uuid}",
        "Range": f"0-{max(size - 1, 0)}",
        "Docker-Upload-UUID": str(upload.uuid),
    }


def _created(name: str, digest: str):
    return empty(201, Location=f"/v2/{name}/blobs/{digest}", Docker_Content_Digest=digest)


def _content_length(request) -> int | None:
    value = request.headers.get("Content-Length")
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise BlobUploadInvalid("invalid Content-Length") from None


def _mount_source(caller: access.Caller, source: str | None, digest: str):
    """The repository to mount ``digest`` from: ``source`` if the caller may pull it; without
    one (``?mount=`` alone, as the spec allows), any repository holding the blob that the
    caller may pull. None: upload it instead."""
    if source:
        try:
            names.split(source)
            may_pull = caller.can(source, "pull") or "pull" in caller.actual_actions(source)
        except NameInvalid:
            may_pull = False
        return caller.repository(source) if may_pull else None
    if "pull" not in caller.limit:  # a token scoped without pull reads nothing
        return None
    return (
        Repository.objects.visible_to(caller.actor)
        .filter(blob_links__blob__digest=digest)
        .order_by("pk")
        .first()
    )


@registry_view("POST")
def start(request, name: str):
    caller = access.authenticate(request)
    repo = repository_for_push(caller, name)

    mount, source = request.GET.get("mount"), request.GET.get("from")
    if mount:
        digests.parse(mount)
        source_repo = _mount_source(caller, source, mount)
        if source_repo is not None:
            if service.blob_mount(repository=repo, source=source_repo, digest=mount):
                return _created(name, mount)
        # Not mountable (unknown, or not the caller's to read): an ordinary upload instead.

    upload = service.upload_start(repository=repo)
    digest = request.GET.get("digest")
    if digest:  # monolithic: the whole blob is this request's body
        digests.parse(digest)
        service.upload_append(
            upload=upload,
            chunks=request_chunks(request),
            content_length=_content_length(request),
            last=True,
            digest=digest,
        )
        service.upload_finish(upload=upload, digest=digest)
        return _created(name, digest)
    return empty(202, **_upload_headers(name, upload, 0))


@registry_view("GET", "PATCH", "PUT", "DELETE")
def session(request, name: str, upload_id: str):
    caller = access.authenticate(request)
    repo = repository_for_push(caller, name)
    upload = service.upload_get(repository=repo, upload_id=upload_id)

    if request.method == "GET":
        return empty(204, **_upload_headers(name, upload, service.upload_size(upload=upload)))
    if request.method == "DELETE":
        service.upload_cancel(upload=upload)
        return empty(204)

    content_range = request.headers.get("Content-Range", "")
    length = _content_length(request)
    digest = request.GET.get("digest") if request.method == "PUT" else None
    if request.method == "PUT":
        if not digest:
            raise BlobUploadInvalid("PUT must name the blob's ?digest=")
        digests.parse(digest)
    if request.method == "PATCH" or length or content_range:
        current = service.upload_size(upload=upload)
        size = service.upload_append(
            upload=upload,
            chunks=request_chunks(request),
            content_range=content_range,
            content_length=length,
            range_error_headers=_upload_headers(name, upload, current),
            last=request.method == "PUT",  # a PUT's body is the upload's last chunk
            digest=digest,
        )
    if request.method == "PATCH":
        return empty(202, **_upload_headers(name, upload, size))

    service.upload_finish(upload=upload, digest=digest)
    return _created(name, digest)
