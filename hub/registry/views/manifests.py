"""``/v2/<name>/manifests/<reference>`` and ``/v2/<name>/referrers/<digest>``."""

from django.http import HttpResponse, JsonResponse

from hub.models import ManifestChild
from hub.pulls import pull_count
from hub.registry import access, mediatypes, names
from hub.registry import manifests as service
from hub.registry.errors import ManifestInvalid, ManifestUnknown
from hub.registry.views.base import empty, registry_view
from hub.registry.views.common import proxy_route, repository_for, repository_for_push
from proxy import cache as proxy_cache


def _pushed_content(request) -> bytes:
    """The pushed manifest, read only now that the caller may push, and never past the cap.

    Under Wharf's ASGI handler not a byte of the body has been received before this
    (``hub.registry.streaming``): a Content-Length past the cap is refused with the body unread,
    and a body without one is cut off one byte past the cap.
    """
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0  # the read below stops at the cap all the same
    if declared > service.MAX_MANIFEST_BYTES:
        raise service.manifest_too_large()
    content = request.read(service.MAX_MANIFEST_BYTES + 1)
    if len(content) > service.MAX_MANIFEST_BYTES:
        raise service.manifest_too_large()
    if not content:
        raise ManifestInvalid("empty manifest")
    return content


def _is_platform_child(manifest) -> bool:
    return ManifestChild.objects.filter(child=manifest).exists()


@registry_view("GET", "HEAD", "PUT", "DELETE")
def manifest(request, name: str, reference: str):
    caller = access.authenticate(request)

    if request.method == "PUT":
        repo = repository_for_push(caller, name)
        content = _pushed_content(request)
        stored = service.manifest_put(
            repository=repo,
            reference=reference,
            content=content,
            content_type=request.headers.get("Content-Type", ""),
        )
        response = empty(
            201,
            Location=f"/v2/{name}/manifests/{stored.digest}",
            Docker_Content_Digest=stored.digest,
        )
        if stored.subject_digest:
            response["OCI-Subject"] = stored.subject_digest
        return response

    if request.method == "DELETE":
        repo = repository_for(caller, name, "delete")
        service.manifest_delete(repository=repo, reference=reference)
        return empty(202)

    route = proxy_route(caller, name)
    if route is None:
        repo = repository_for(caller, name, "pull")
        stored = service.manifest_get(repository=repo, reference=reference)
    else:  # the pull-through cache: from upstream the first time, then from here
        access.require(caller, name, "pull")
        repo, stored = proxy_cache.manifest_get(route=route, reference=reference)
    if not mediatypes.acceptable(request.headers.get("Accept", ""), stored.media_type):
        raise ManifestUnknown(
            f"manifest is {stored.media_type}, which the Accept header does not list",
            detail={"reference": reference},
        )
    content = bytes(stored.content)
    if request.method == "GET":
        # One pull, one count: a platform manifest fetched through its index is not another.
        if not (service.is_digest(reference) and _is_platform_child(stored)):
            pull_count(repository=repo, reference=reference)
        response = HttpResponse(content, content_type=stored.media_type)
    else:
        response = HttpResponse(content_type=stored.media_type)
    response["Content-Length"] = str(len(content))
    response["Docker-Content-Digest"] = stored.digest
    response["ETag"] = f'"{stored.digest}"'
    return response


@registry_view("GET")
def referrers(request, name: str, digest: str):
    caller = access.authenticate(request)
    names.split(name)
    artifact_type = request.GET.get("artifactType", "")
    if caller.repository(name) is None and caller.can(name, "push"):
        # Not pushed yet, but the caller may: an empty index, as the spec says, so a client
        # pushing an image with its signature asks first and finds none.
        manifests = []
    else:
        repo = repository_for(caller, name, "pull")
        manifests = service.referrers(repository=repo, digest=digest, artifact_type=artifact_type)
    body = {"schemaVersion": 2, "mediaType": mediatypes.OCI_INDEX, "manifests": manifests}
    response = JsonResponse(body, content_type=mediatypes.OCI_INDEX)
    if artifact_type:
        response["OCI-Filters-Applied"] = "artifactType"
    return response
