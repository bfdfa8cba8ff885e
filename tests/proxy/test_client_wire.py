"""proxy.client on the wire where a docker-registry cannot take it: redirects to a CDN, token
services shaped as Docker Hub's, TLS, a plain-http realm, 5xx and 429, answers too large or cut
short. The far side is a real HTTP(S) server on a loopback port answering as each test scripts."""

import datetime
import hashlib
import ipaddress
import json
import logging
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hub.registry.mediatypes import OCI_MANIFEST
from proxy.client import MANIFEST_MAX, Client, UpstreamError, UpstreamUnavailable

BLOB = b"layer bytes " * 1000
BLOB_DIGEST = "sha256:" + hashlib.sha256(BLOB).hexdigest()
MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST}).encode()
MANIFEST_DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
SECRET = "Upstream-Pa55"


class Server:
    """A loopback HTTP(S) server: ``answer(request)`` gives (status, headers, body) for each
    request, and every request is kept (method, path with query, headers in lower case)."""

    def __init__(self, answer, *, tls_files=None):
        self.requests: list[tuple[str, str, dict]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                self._answer(body=True)

            def do_HEAD(self):
                self._answer(body=False)

            def _answer(self, body):
                headers = {k.lower(): v for k, v in self.headers.items()}
                server.requests.append((self.command, self.path, headers))
                status, out_headers, data = answer(self)
                self.send_response(status)
                out_headers = {"Content-Length": str(len(data)), **out_headers}
                length = out_headers.pop("Content-Length")
                if length is None:  # no length: the body ends when the connection does
                    out_headers["Connection"] = "close"
                else:
                    out_headers["Content-Length"] = length
                for name, value in out_headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if body:
                    self.wfile.write(data)
                if length != str(len(data)):
                    self.close_connection = True  # unannounced, or cut short

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        scheme = "http"
        if tls_files:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls_files)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        self.url = f"{scheme}://{self.host}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)

    def paths(self) -> list[str]:
        return [path for _, path, _ in self.requests]


@pytest.fixture
def serve():
    servers = []

    def start(answer, **kwargs) -> Server:
        servers.append(Server(answer, **kwargs))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: (cert file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return folder / "cert.pem", folder / "key.pem"


def spec_error(status: int, code: str, message: str, headers=None):
    body = json.dumps({"errors": [{"code": code, "message": message, "detail": None}]})
    return status, {"Content-Type": "application/json", **(headers or {})}, body.encode()


def manifest(request):
    return 200, {"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": MANIFEST_DIGEST}, MANIFEST


# Redirects ---------------------------------------------------------------------------------


def test_a_blob_redirected_to_another_host_goes_there_without_the_credentials(serve):
    cdn = serve(lambda request: (200, {}, BLOB))

    def registry(request):
        if "Authorization" not in request.headers:
            return spec_error(
                401, "UNAUTHORIZED", "sign in", {"WWW-Authenticate": 'Basic realm="r"'}
            )
        if request.path.startswith("/v2/team/app/blobs/"):  # same host first, then the CDN
            return 307, {"Location": "/storage/blob"}, b""
        return 302, {"Location": f"{cdn.url}/blob?signature=abc"}, b""

    upstream = serve(registry)
    client = Client(url=upstream.url, username="puller", password=SECRET)

    with client.blob_open("team/app", BLOB_DIGEST) as blob:
        assert b"".join(blob) == BLOB

    assert upstream.paths() == [f"/v2/team/app/blobs/{BLOB_DIGEST}"] * 2 + ["/storage/blob"]
    assert "authorization" in upstream.requests[-1][2]  # the same origin: still signed in
    assert cdn.paths() == ["/blob?signature=abc"]
    assert "authorization" not in cdn.requests[0][2]


def test_redirects_to_other_schemes_or_without_end_are_refused(serve):
    hops = {"/v2/team/app/blobs/" + BLOB_DIGEST: "file:///etc/passwd"}
    upstream = serve(lambda request: (302, {"Location": hops.get(request.path, request.path)}, b""))
    client = Client(url=upstream.url)

    with pytest.raises(UpstreamError, match="non-HTTP"):
        client.blob_open("team/app", BLOB_DIGEST)
    with pytest.raises(UpstreamError, match="too many times"):
        client.manifest_get("team/app", "v1", [OCI_MANIFEST])


# Token services ----------------------------------------------------------------------------


def docker_hub(tokens: list[str], *, realm: str):
    """Answers as registry-1.docker.io does: a Bearer challenge, then the token it was given."""

    def registry(request):
        sent = request.headers.get("Authorization", "")
        if sent.removeprefix("Bearer ") not in tokens[-1:]:
            challenge = (
                f'Bearer realm="{realm}",service="registry.docker.io",'
                'scope="repository:library/app:pull"'
            )
            return spec_error(
                401, "UNAUTHORIZED", "authentication required", {"WWW-Authenticate": challenge}
            )
        return manifest(request)

    return registry


def test_a_docker_hub_style_access_token_is_fetched_once_and_refetched_when_refused(serve):
    tokens: list[str] = []

    def auth(request):
        tokens.append(f"token-{len(tokens)}")
        return 200, {}, json.dumps({"access_token": tokens[-1], "expires_in": 300}).encode()

    auth_server = serve(auth)
    upstream = serve(docker_hub(tokens, realm=f"{auth_server.url}/token"))
    client = Client(url=upstream.url, username="puller", password=SECRET)

    for _ in range(3):
        assert client.manifest_get("library/app", "v1", [OCI_MANIFEST]).digest == MANIFEST_DIGEST
    assert client.token_fetches == 1
    assert auth_server.paths() == [
        "/token?scope=repository%3Alibrary%2Fapp%3Apull&service=registry.docker.io"
    ]
    assert auth_server.requests[0][2]["authorization"].startswith("Basic ")  # the upstream is http

    tokens.append("revoked-meanwhile")  # the upstream no longer takes the cached token
    assert client.manifest_head("library/app", "v1", [OCI_MANIFEST]).digest == MANIFEST_DIGEST
    assert client.token_fetches == 2


def test_a_token_service_that_refuses_passes_its_message_on(serve):
    auth_server = serve(
        lambda request: (
            401,
            {},
            json.dumps({"details": "incorrect username or password"}).encode(),
        )
    )
    upstream = serve(docker_hub([], realm=f"{auth_server.url}/token"))

    with pytest.raises(UpstreamError) as refused:
        Client(url=upstream.url, username="puller", password="x").manifest_head(
            "library/app", "v1", [OCI_MANIFEST]
        )
    assert (refused.value.status, refused.value.code) == (401, "UNAUTHORIZED")
    assert refused.value.message == "incorrect username or password"


def test_a_realm_that_is_no_http_url_is_never_asked(serve):
    upstream = serve(docker_hub([], realm="file:///etc/passwd"))

    with pytest.raises(UpstreamError, match="no usable token realm"):
        Client(url=upstream.url).manifest_head("library/app", "v1", [OCI_MANIFEST])
    assert len(upstream.requests) == 1


# TLS ---------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_a_certificate_not_trusted_is_unavailable_unless_verification_is_off(serve, tls_files):
    upstream = serve(manifest, tls_files=tls_files)

    with pytest.raises(UpstreamUnavailable, match="TLS failure"):
        Client(url=upstream.url).manifest_get("team/app", "v1", [OCI_MANIFEST])
    insecure = Client(url=upstream.url, tls_verify=False)
    assert insecure.manifest_get("team/app", "v1", [OCI_MANIFEST]).digest == MANIFEST_DIGEST


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_an_https_upstream_never_sends_the_password_to_a_plain_http_realm(serve, tls_files, caplog):
    tokens: list[str] = []

    def auth(request):
        tokens.append("anonymous-token")
        return 200, {}, json.dumps({"token": tokens[-1]}).encode()

    auth_server = serve(auth)
    upstream = serve(docker_hub(tokens, realm=f"{auth_server.url}/token"), tls_files=tls_files)
    client = Client(url=upstream.url, username="puller", password=SECRET, tls_verify=False)

    with caplog.at_level(logging.WARNING, logger="proxy.client"):
        assert client.manifest_head("library/app", "v1", [OCI_MANIFEST]).digest == MANIFEST_DIGEST

    assert "authorization" not in auth_server.requests[0][2]
    assert "token realm" in caplog.text and "plain http" in caplog.text


# Errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, code, unavailable",
    [
        (500, "UNKNOWN", True),
        (503, "UNAVAILABLE", True),
        (429, "TOOMANYREQUESTS", True),
        (403, "DENIED", False),
    ],
)
def test_errors_keep_the_upstreams_code_and_message(serve, status, code, unavailable):
    upstream = serve(lambda request: spec_error(status, code, f"upstream says {status}"))

    with pytest.raises(UpstreamError) as failed:
        Client(url=upstream.url).manifest_get("team/app", "v1", [OCI_MANIFEST])

    assert (failed.value.status, failed.value.code) == (status, code)
    assert failed.value.message == f"upstream says {status}"
    assert isinstance(failed.value, UpstreamUnavailable) is unavailable


def test_an_error_without_a_body_is_named_after_its_status(serve):
    upstream = serve(lambda request: (429, {}, b""))

    with pytest.raises(UpstreamUnavailable) as failed:
        Client(url=upstream.url).manifest_head("team/app", "v1", [OCI_MANIFEST])

    assert (failed.value.code, failed.value.message) == (
        "TOOMANYREQUESTS",
        "upstream answered HTTP 429",
    )


@pytest.mark.parametrize("announced", [True, False])
def test_a_manifest_over_4_mib_is_refused(serve, announced):
    big = b" " * (MANIFEST_MAX + 1)
    headers = {"Content-Type": OCI_MANIFEST}
    if not announced:
        headers["Content-Length"] = None
    upstream = serve(lambda request: (200, headers, big))

    with pytest.raises(UpstreamError) as refused:
        Client(url=upstream.url).manifest_get("team/app", "v1", [OCI_MANIFEST])
    assert refused.value.code == "MANIFEST_INVALID"


def test_a_blob_cut_short_is_unavailable(serve):
    upstream = serve(lambda request: (200, {"Content-Length": str(len(BLOB))}, BLOB[:5000]))

    with Client(url=upstream.url).blob_open("team/app", BLOB_DIGEST) as blob:
        with pytest.raises(UpstreamUnavailable, match="broke off|cut short"):
            for _ in blob:
                pass
