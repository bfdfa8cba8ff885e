"""The distribution spec's error codes, one exception class each, rendered as the spec's JSON.

Views raise these; ``hub.registry.views.base.registry_view`` turns them into responses.
"""

from django.http import JsonResponse


class RegistryError(Exception):
    code = "UNKNOWN"
    status = 500
    message = "unknown error"

    def __init__(self, message: str | None = None, *, detail=None, headers: dict | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.detail = detail
        self.headers = headers or {}

    def response(self) -> JsonResponse:
        body = {"errors": [{"code": self.code, "message": self.message, "detail": self.detail}]}
        response = JsonResponse(body, status=self.status)
        for name, value in self.headers.items():
            response[name] = value
        return response


def _error(code: str, status: int, message: str) -> type[RegistryError]:
    return type(
        "".join(part.capitalize() for part in code.split("_")),
        (RegistryError,),
        {"code": code, "status": status, "message": message},
    )


BlobUnknown = _error("BLOB_UNKNOWN", 404, "blob unknown to registry")
BlobUploadInvalid = _error("BLOB_UPLOAD_INVALID", 400, "blob upload invalid")
BlobUploadUnknown = _error("BLOB_UPLOAD_UNKNOWN", 404, "blob upload unknown to registry")
DigestInvalid = _error("DIGEST_INVALID", 400, "provided digest did not match uploaded content")
ManifestBlobUnknown = _error(
    "MANIFEST_BLOB_UNKNOWN", 404, "manifest references a blob unknown to the repository"
)
ManifestInvalid = _error("MANIFEST_INVALID", 400, "manifest invalid")
ManifestUnknown = _error("MANIFEST_UNKNOWN", 404, "manifest unknown")
NameInvalid = _error("NAME_INVALID", 400, "invalid repository name")
NameUnknown = _error("NAME_UNKNOWN", 404, "repository name not known to registry")
SizeInvalid = _error("SIZE_INVALID", 400, "provided length did not match content length")
Unauthorized = _error("UNAUTHORIZED", 401, "authentication required")
Denied = _error("DENIED", 403, "requested access to the resource is denied")
Unsupported = _error("UNSUPPORTED", 405, "the operation is unsupported")
TooManyRequests = _error("TOOMANYREQUESTS", 429, "too many requests")
# distribution's code for a bad ?n= on tags list and catalog.
PaginationNumberInvalid = _error(
    "PAGINATION_NUMBER_INVALID", 400, "invalid number of results requested"
)
# Not a spec code, but the 416 the spec prescribes for an out-of-order chunk.
RangeInvalid = _error("BLOB_UPLOAD_INVALID", 416, "requested range not satisfiable")
# A body past the limit on a registry endpoint that takes none (see hub.registry.streaming).
RequestTooLarge = _error("SIZE_INVALID", 413, "request body too large")
# distribution's code for a 503; here: Redis, where sign-in failures are counted, is away.
Unavailable = _error("UNAVAILABLE", 503, "service unavailable")

ALL_CODES = [
    BlobUnknown,
    BlobUploadInvalid,
    BlobUploadUnknown,
    DigestInvalid,
    ManifestBlobUnknown,
    ManifestInvalid,
    ManifestUnknown,
    NameInvalid,
    NameUnknown,
    SizeInvalid,
    Unauthorized,
    Denied,
    Unsupported,
    TooManyRequests,
]
