"""What goes on the wire to an upstream and comes back: names and references checked before
they reach a URL, manifests checked against their digests, failures described without the URL
or a header, and the upstream's errors read from its spec error JSON."""

import json
import re
from urllib.parse import urlsplit

import urllib3

from hub.registry import digests, names

SMALL_BODY_MAX = 64 * 1024  # error and token bodies
STATUS_CODES = {401: "UNAUTHORIZED", 403: "DENIED", 404: "NAME_UNKNOWN", 429: "TOOMANYREQUESTS"}


class UpstreamError(Exception):
    """The upstream answered an error that is passed on to the registry client.

    ``code`` and ``message`` are those of the upstream's spec error JSON when it sent one,
    else derived from ``status``.
    """

    def __init__(self, status: int, code: str = "", message: str = ""):
        self.status = status
        self.code = (
            code or STATUS_CODES.get(status) or ("UNAVAILABLE" if status >= 500 else "UNKNOWN")
        )
        self.message = message or f"upstream answered HTTP {status}"
        super().__init__(f"{self.status} {self.code}: {self.message}")


class UpstreamUnavailable(UpstreamError):
    """The upstream cannot answer now (unreachable, timeout, TLS failure, 5xx, 429): the cache
    may serve what it has (stale-if-error)."""


def check_name(name: str) -> None:
    """Refuse a repository name that could do more in a URL path than name a repository."""
    if (
        ".." in name
        or name.startswith("/")
        or any(c in name for c in "?#%")
        or len(name) > names.MAX_LENGTH
        or not names.NAME_RE.fullmatch(name)
    ):
        raise ValueError(f"refused upstream repository name {name!r}")


def check_reference(reference: str) -> None:
    if not (names.TAG_RE.fullmatch(reference) or is_digest(reference)):
        raise ValueError(f"refused upstream reference {reference!r}")


def is_digest(value: str) -> bool:
    match = digests.DIGEST_RE.fullmatch(value or "")
    return bool(match) and len(match.group(2)) == digests.ALGORITHMS[match.group(1)]


def verify_manifest(content: bytes, *, reference: str, header_digest: str) -> str:
    """The digest of ``content``, checked against the upstream's Docker-Content-Digest and, when
    the reference is a digest, against the reference; UpstreamError when they disagree."""
    for claimed in (reference, header_digest):
        if claimed and is_digest(claimed):
            actual = digests.of_bytes(content, claimed.split(":", 1)[0])
            if actual != claimed:
                raise UpstreamError(
                    502,
                    "DIGEST_INVALID",
                    f"upstream manifest content is {actual}, not the {claimed} it claims",
                )
    if header_digest and not is_digest(header_digest):
        raise UpstreamError(502, "DIGEST_INVALID", "upstream sent a malformed digest")
    return header_digest or (reference if is_digest(reference) else digests.of_bytes(content))


def origin_of(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    return (
        parts.scheme,
        (parts.hostname or "").lower(),
        parts.port or (443 if parts.scheme == "https" else 80),
    )


def describe(exc: Exception) -> str:
    """What went wrong on the wire, without the URL (a CDN's signed query) or any header."""
    reason = getattr(exc, "reason", None) or exc
    # Most specific first: NameResolutionError is a NewConnectionError, which is a timeout.
    if isinstance(reason, urllib3.exceptions.NameResolutionError):
        return "host name not resolved"
    if isinstance(reason, urllib3.exceptions.NewConnectionError | ConnectionRefusedError):
        return "could not connect"
    if isinstance(reason, urllib3.exceptions.SSLError):
        return "TLS failure"
    if isinstance(reason, urllib3.exceptions.TimeoutError):
        return "timed out"
    return "connection failed"


def _clean(text: str) -> str:
    return re.sub(r"[\x00-\x1f\x7f]+", " ", str(text)).strip()[:300]


def read_small(response, cap: int) -> bytes:
    """Up to ``cap + 1`` bytes of the body; the connection is reused if the body is done."""
    try:
        data = response.read(cap + 1)
    except urllib3.exceptions.HTTPError as exc:
        response.close()
        raise UpstreamUnavailable(503, "UNAVAILABLE", f"upstream {describe(exc)}") from None
    if len(data) > cap:
        response.close()
    response.release_conn()
    return data


def error_from(response) -> UpstreamError:
    """The upstream's error (its spec error JSON's first code and message when it sent one)."""
    status = response.status
    body = read_small(response, SMALL_BODY_MAX)
    code, message = "", ""
    try:
        doc = json.loads(body)
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        errors = doc.get("errors")
        first = errors[0] if isinstance(errors, list) and errors else {}
        if isinstance(first, dict):
            code = _clean(first.get("code") or "")
            message = _clean(first.get("message") or "")
        # Token services: Docker Hub's {"details": …}, OAuth2's {"error_description": …}.
        message = message or _clean(doc.get("details") or doc.get("error_description") or "")
    kind = UpstreamUnavailable if status >= 500 or status == 429 else UpstreamError
    return kind(status, code, message)
