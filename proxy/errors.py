"""Upstream failures as the registry spec's errors, with the upstream's own words."""

from hub.registry.errors import RegistryError
from proxy.client import UpstreamError


def as_registry_error(exc: UpstreamError) -> RegistryError:
    """The upstream's error code, status and message, passed on to the registry client (a 401
    or 403 of the upstream is Wharf's configuration problem, not the client's: a 502)."""
    error = RegistryError(f"upstream: {exc.message}")
    error.code = exc.code
    error.status = 502 if exc.status in (401, 403) or exc.status < 400 else exc.status
    return error


def upstream_failed(upstream, message: str) -> RegistryError:
    where = f"upstream {upstream.name}" if upstream is not None else "upstream"
    error = RegistryError(f"{where}: {message}")
    error.code = "UNAVAILABLE"
    error.status = 502
    return error
