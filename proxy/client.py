"""A client of one upstream registry (the distribution / OCI v2 API), for the pull-through cache.

Built on urllib3: one ``PoolManager`` per ``Client`` keeps connections to the upstream, its token
service and the CDN its blobs redirect to alive across requests; ``client_for`` keeps one
``Client`` per configured upstream in the process, so pools and tokens outlive a request.

Auth is what docker and skopeo do: send the request; on ``401`` with a ``Bearer`` challenge ask
the challenge's realm for a pull token (with the upstream's username and password over HTTP Basic
when set, else anonymously), cache it until shortly before it expires and retry once; on a
``Basic`` challenge send the username and password. Once learnt, the credential goes with the
first request, so a warm client makes one round trip, not two.

Outbound URLs are built only from the configured upstream URL, a realm the upstream names in its
challenge, and the redirects it answers with (Docker Hub sends blobs to a CDN); never from what
a registry client asked for: names and references are validated before they reach a path.
Credentials and tokens are never logged, and never sent where they do not belong: the
Authorization header is dropped when a redirect leaves the origin it was meant for, and the
password goes to a plain-http realm only when the upstream itself was configured as plain http.
"""

import json
import logging
import threading
import warnings
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin, urlsplit

import urllib3

from hub import crypto
from hub.registry import digests
from proxy.client_auth import TokenCache, basic_header, parse_challenge, token_of
from proxy.client_wire import (
    SMALL_BODY_MAX,
    UpstreamError,
    UpstreamUnavailable,
    check_name,
    check_reference,
    describe,
    error_from,
    is_digest,
    origin_of,
    read_small,
    verify_manifest,
)

__all__ = [  # what callers import from here (the wire details live in proxy/client_wire.py)
    "BlobStream",
    "Client",
    "ManifestBody",
    "ManifestHead",
    "UpstreamError",
    "UpstreamUnavailable",
    "check_name",
    "check_reference",
    "client_for",
    "verify_manifest",
]

logger = logging.getLogger("proxy.client")

# tls_verify=False is staff's explicit choice for an upstream (its page says so): urllib3's
# warning on every such request would only bury the logs. Wharf makes no other urllib3 requests.
warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)

MANIFEST_MAX = 4 * 1024 * 1024  # what Wharf itself accepts as a manifest
# Upstream blobs are read, hashed, written and handed to readers in pieces this big: small
# enough to stay in the CPU's cache through all four (1 MiB pieces cost a pull ~20 % more CPU).
CHUNK = 256 * 1024
MAX_REDIRECTS = 5
REDIRECTS = {301, 302, 303, 307, 308}


@dataclass
class ManifestHead:
    digest: str
    media_type: str
    size: int


@dataclass
class ManifestBody:
    digest: str
    media_type: str
    content: bytes


class BlobStream:
    """An upstream blob being read: ``size`` is its Content-Length; iterating yields CHUNK-sized
    chunks as they arrive, hashing them; the end of the iteration raises UpstreamError when the
    bytes were not ``digest``, or UpstreamUnavailable when the upstream broke off."""

    def __init__(self, response, digest: str):
        self._response = response
        self.digest = digest
        length = response.headers.get("Content-Length", "")
        encoded = response.headers.get("Content-Encoding", "identity") != "identity"
        self.size: int | None = int(length) if length.isdigit() and not encoded else None
        self._done = False

    def __iter__(self):
        sha = digests.hasher(self.digest)
        read = 0
        try:
            for chunk in self._response.stream(CHUNK):
                sha.update(chunk)
                read += len(chunk)
                yield chunk
        except urllib3.exceptions.HTTPError as exc:
            self.close()
            raise UpstreamUnavailable(
                503, "UNAVAILABLE", f"upstream broke off blob {self.digest}: {describe(exc)}"
            ) from None
        self._done = True
        self._response.release_conn()
        actual = f"{self.digest.split(':', 1)[0]}:{sha.hexdigest()}"
        if self.size is not None and read != self.size:
            raise UpstreamUnavailable(503, "UNAVAILABLE", f"upstream blob {self.digest} cut short")
        if actual != self.digest:
            raise UpstreamError(
                502, "DIGEST_INVALID", f"upstream blob content is {actual}, not {self.digest}"
            )

    def close(self) -> None:
        if not self._done:
            self._done = True
            self._response.close()  # unread bytes: this connection cannot be reused
            self._response.release_conn()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Client:
    """One upstream registry. Thread-safe: the web process's threads share it."""

    def __init__(
        self,
        *,
        url: str,
        username: str = "",
        password: str = "",
        tls_verify: bool = True,
        timeout: float = 30.0,
    ):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("an upstream URL is http(s)://host[:port]")
        if parts.username or parts.password or parts.query or parts.fragment:
            raise ValueError("an upstream URL has no credentials, query or fragment")
        self.base = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
        self.host = parts.netloc
        self.username = username
        self._password = password
        self._basic = False  # the upstream asked for Basic: send it up front
        self.tokens = TokenCache()
        self.pool = urllib3.PoolManager(
            num_pools=8,
            maxsize=16,
            cert_reqs="CERT_REQUIRED" if tls_verify else "CERT_NONE",
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            # One more try on a connection error (a kept-alive connection the upstream closed).
            retries=urllib3.Retry(total=1, redirect=False, status=0, other=0),
            headers={"User-Agent": "Wharf-proxy"},
        )

    @property
    def token_fetches(self) -> int:
        """How many tokens this client fetched (the tests and the bench read it)."""
        return self.tokens.fetches

    def __repr__(self):  # never the password
        return f"<Client {self.base}>"

    def close(self) -> None:
        self.pool.clear()

    # The registry API -------------------------------------------------------------------

    def manifest_head(self, name: str, reference: str, accept: list[str]) -> ManifestHead | None:
        """The digest, type and size of a manifest, or None when the upstream has none."""
        response = self._manifest("HEAD", name, reference, accept)
        if response is None:
            return None
        read_small(response, SMALL_BODY_MAX)
        digest = response.headers.get("Docker-Content-Digest", "") or reference
        if not is_digest(digest):
            raise UpstreamError(502, "UNKNOWN", "upstream sent no valid Docker-Content-Digest")
        if is_digest(reference) and digest != reference:
            raise UpstreamError(
                502, "DIGEST_INVALID", f"upstream answered {digest}, not {reference}"
            )
        length = response.headers.get("Content-Length", "")
        return ManifestHead(
            digest=digest,
            media_type=_media_type(response.headers.get("Content-Type", ""), b""),
            size=int(length) if length.isdigit() else 0,
        )

    def manifest_get(self, name: str, reference: str, accept: list[str]) -> ManifestBody | None:
        """A manifest, its digest verified, or None when the upstream has none."""
        response = self._manifest("GET", name, reference, accept)
        if response is None:
            return None
        length = response.headers.get("Content-Length", "")
        too_large = length.isdigit() and int(length) > MANIFEST_MAX
        content = b"" if too_large else read_small(response, MANIFEST_MAX)
        if too_large or len(content) > MANIFEST_MAX:
            response.close()
            response.release_conn()
            raise UpstreamError(502, "MANIFEST_INVALID", "upstream manifest is over 4 MiB")
        digest = verify_manifest(
            content,
            reference=reference,
            header_digest=response.headers.get("Docker-Content-Digest", ""),
        )
        media_type = _media_type(response.headers.get("Content-Type", ""), content)
        return ManifestBody(digest=digest, media_type=media_type, content=content)

    def blob_open(self, name: str, digest: str) -> BlobStream | None:
        """The blob as a stream (close it, or use it as a context manager), or None on 404."""
        check_name(name)
        if not is_digest(digest):
            raise ValueError(f"refused upstream digest {digest!r}")
        response = self._request("GET", name, f"/v2/{name}/blobs/{digest}", {})
        if response.status == 404:
            read_small(response, SMALL_BODY_MAX)
            return None
        if response.status != 200:
            raise error_from(response)
        return BlobStream(response, digest)

    def _manifest(self, method, name, reference, accept):
        check_name(name)
        check_reference(reference)
        headers = {"Accept": ", ".join(accept)} if accept else {}
        response = self._request(method, name, f"/v2/{name}/manifests/{reference}", headers)
        if response.status == 404:
            read_small(response, SMALL_BODY_MAX)
            return None
        if response.status != 200:
            raise error_from(response)
        return response

    # Auth -------------------------------------------------------------------------------

    def _request(self, method: str, name: str, path: str, headers: dict):
        """The upstream's response (body unread), authenticated as the upstream asks."""
        scope = f"repository:{name}:pull"
        url = self.base + path
        sent = self._known_auth(scope)
        response = self._send(method, url, {**headers, **sent})
        if response.status != 401:
            return response
        challenge = response.headers.get("WWW-Authenticate", "")
        refused = error_from(response)
        auth = self._answer(challenge, scope, sent)
        if not auth:
            raise refused
        response = self._send(method, url, {**headers, **auth})
        if response.status == 401:
            raise error_from(response)
        return response

    def _known_auth(self, scope: str) -> dict:
        if self._basic:
            return basic_header(self.username, self._password)
        token = self.tokens.get(scope)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def _answer(self, challenge: str, scope: str, sent: dict) -> dict:
        """The Authorization header that answers ``challenge``; {} when there is nothing new
        to try (the same credentials were just refused, or none are configured)."""
        scheme, params = parse_challenge(challenge)
        sent = sent.get("Authorization", "")
        if scheme == "basic":
            if not self.username or sent.startswith("Basic "):
                return {}
            self._basic = True
            return basic_header(self.username, self._password)
        if scheme == "bearer":
            token = self.tokens.fresh(
                scope,
                stale=sent.removeprefix("Bearer "),
                fetch=lambda: self._fetch_token(params, scope),
            )
            return {"Authorization": f"Bearer {token}"}
        return {}

    def _fetch_token(self, params: dict, scope: str) -> tuple[str, int]:
        """(token, seconds) from the challenge's realm: with the username and password over
        HTTP Basic when they are set, never over plain http to an https upstream's realm."""
        realm = params.get("realm", "")
        parts = urlsplit(realm)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UpstreamError(401, "UNAUTHORIZED", "upstream named no usable token realm")
        query = {"scope": scope}
        if params.get("service"):
            query["service"] = params["service"]
        headers = {}
        if self.username and (parts.scheme == "https" or self.base.startswith("http:")):
            headers = basic_header(self.username, self._password)
        elif self.username:
            logger.warning(
                "upstream %s: its token realm %s is plain http; asking it for an anonymous "
                "token rather than sending the password there",
                self.host,
                parts.netloc,
            )
        url = realm + ("&" if parts.query else "?") + urlencode(query)
        response = self._send("GET", url, headers)
        if response.status != 200:
            raise error_from(response)
        got = token_of(read_small(response, SMALL_BODY_MAX))
        if got is None:
            raise UpstreamError(401, "UNAUTHORIZED", "upstream token service sent no token")
        return got

    # The wire ---------------------------------------------------------------------------

    def _send(self, method: str, url: str, headers: dict):
        """One request, following redirects; the Authorization header does not leave the
        origin it was meant for."""
        origin = origin_of(url)
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            try:
                response = self.pool.request(
                    method, url, headers=headers, redirect=False, preload_content=False
                )
            except urllib3.exceptions.HTTPError as exc:
                raise UpstreamUnavailable(
                    503, "UNAVAILABLE", f"upstream {parts.netloc}: {describe(exc)}"
                ) from None
            logger.debug("upstream %s %s%s %s", method, parts.netloc, parts.path, response.status)
            location = response.headers.get("Location")
            if response.status not in REDIRECTS or not location:
                return response
            read_small(response, SMALL_BODY_MAX)
            url = urljoin(url, location)
            if urlsplit(url).scheme not in ("http", "https"):
                raise UpstreamError(502, "UNKNOWN", "upstream redirected to a non-HTTP URL")
            if origin_of(url) != origin:
                headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            if response.status == 303 and method != "HEAD":
                method = "GET"
        raise UpstreamError(502, "UNKNOWN", "upstream redirected too many times")


def _media_type(header: str, content: bytes) -> str:
    """The Content-Type without parameters; for a generic one, the manifest's own mediaType."""
    media_type = header.split(";", 1)[0].strip().lower()
    if content and media_type in ("", "application/json", "text/plain"):
        try:
            doc = json.loads(content)
        except ValueError:
            return media_type
        if isinstance(doc, dict) and isinstance(doc.get("mediaType"), str):
            return doc["mediaType"]
    return media_type


_clients: dict[object, tuple[object, Client]] = {}
_clients_lock = threading.Lock()


def client_for(upstream) -> Client:
    """The process's Client of ``upstream`` (a model with url, username, password, tls_verify):
    one per (pk, updated_at), so its pool and tokens are reused until the upstream is edited.
    An unreadable stored password (another SECRET_KEY) is an UpstreamError saying so."""
    with _clients_lock:
        held = _clients.get(upstream.pk)
        if held is not None and held[0] == upstream.updated_at:
            return held[1]
        try:
            password = upstream.password or ""
        except crypto.Unreadable:
            logger.warning("upstream %s: its stored password cannot be read", upstream.name)
            raise UpstreamError(
                502,
                "UNAVAILABLE",
                f"the password stored for upstream {upstream.name} cannot be read (SECRET_KEY "
                "changed since it was set): staff must set it again",
            ) from None
        client = Client(
            url=upstream.url,
            username=upstream.username or "",
            password=password,
            tls_verify=upstream.tls_verify,
        )
        _clients[upstream.pk] = (upstream.updated_at, client)
    if held is not None:
        held[1].close()  # requests still running on it finish; their connections then close
    return client
