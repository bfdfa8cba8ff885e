"""Error pages: JSON under /api/ (programs read it), HTML everywhere else."""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme


def not_found(request, exception=None):
    if request.path.startswith("/v2/"):
        from hub.registry.errors import RegistryError

        error = RegistryError("no such registry endpoint")
        error.code, error.status = "NOT_FOUND", 404
        return error.response()
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "path": request.path}, status=404)
    return render(request, "404.html", status=404)


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Internal server error."}, status=500)
    return render(request, "500.html", status=500)


def csrf_failure(request, reason=""):
    """A form that failed the CSRF check: almost always a stale page, so say how to retry."""
    # Back to the same address by GET, which serves the form again with a fresh token; only a
    # local path, so a crafted "//elsewhere" path cannot turn the button into a way out.
    back = (
        request.path if url_has_allowed_host_and_scheme(request.path, allowed_hosts=None) else "/"
    )
    return render(request, "403_csrf.html", {"back": back}, status=403)
