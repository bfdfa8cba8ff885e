"""Shared plumbing of the registry views: spec errors as JSON, the API version header."""

from functools import wraps

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from hub import dbconn
from hub.registry import access, tokens
from hub.registry.errors import RegistryError, Unsupported
from hub.registry.storage import CHUNK

API_VERSION = "registry/2.0"


def registry_view(*methods: str):
    """Wrap a registry view: allowed methods, spec-shaped errors, the version header."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            tokens.set_request_base(request)
            try:
                if request.method not in methods:
                    raise Unsupported(
                        f"{request.method} is not supported here",
                        headers={"Allow": ", ".join(methods)},
                    )
                response = view(request, *args, **kwargs)
            except RegistryError as exc:
                response = exc.response()
            response["Docker-Distribution-API-Version"] = API_VERSION
            if response.streaming:
                # A blob's bytes need no database: the connection goes back now, not when a
                # stream of minutes ends (Django would hold it to the end).
                dbconn.release()
            return response

        return wrapper

    return decorate


def request_chunks(request):
    """The request body as a stream of chunks, never whole in memory."""
    while chunk := request.read(4 * CHUNK):
        yield chunk


def empty(status: int, **headers) -> HttpResponse:
    response = HttpResponse(status=status)
    response["Content-Length"] = "0"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


@registry_view("GET", "HEAD")
def probe(request):
    """``GET /v2/``: 200 for a valid token (or none needed yet), else the Bearer challenge."""
    caller = access.authenticate(request)
    if caller.user is None and caller.grant is None:
        from hub.registry.errors import Unauthorized

        raise Unauthorized(headers=access.challenge())
    return JsonResponse({})
