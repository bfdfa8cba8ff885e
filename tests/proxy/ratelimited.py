"""An upstream that can be rate limited, or send bad blobs: a small reverse proxy in front of
the test upstream.

Debian's docker-registry never answers 429, Docker Hub does (``toomanyrequests: You have reached
your pull rate limit``). This ThreadingHTTPServer on a loopback port forwards every request to
the real upstream as it came, and answers each with the upstream's response; ``limit()`` makes
it answer Docker Hub's 429 instead, to every request or (as Docker Hub, which counts GETs but
not HEADs) to some methods only. ``blobs`` makes blob bodies arrive slowly, with a byte changed
halfway ("corrupt": the digest does not match), or end halfway ("break": the connection drops,
as a flaky link does). It logs what it answered.
"""

import http.client
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

RATE_LIMIT_MESSAGE = "You have reached your pull rate limit."
RATE_LIMIT_BODY = json.dumps(
    {"errors": [{"code": "TOOMANYREQUESTS", "message": RATE_LIMIT_MESSAGE}]}
).encode()
# Hop-by-hop headers (RFC 9110 7.6.1) stay on their hop; the body is sent as it was decoded.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}
CHUNK = 64 * 1024
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"})


class RateLimitedProxy:
    """``url`` forwards to ``target`` (``http://127.0.0.1:port``) what is not ``limited``."""

    def __init__(self, target: str):
        parts = urlsplit(target)
        self.target = (parts.hostname, parts.port)
        self.limited: frozenset[str] = frozenset()  # the methods answered with a 429
        self.blobs: set[str] = set()  # blob GETs: "slow", "corrupt", "break"
        self.answered: list[tuple[str, str, int]] = []  # (method, path, status)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="rate-limited-upstream", daemon=True
        )

    def start(self) -> "RateLimitedProxy":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)

    def limit(self, *methods: str) -> None:
        """Answer 429 to ``methods`` (every method when none is named) from now on."""
        self.limited = frozenset(methods) or METHODS

    def unlimit(self) -> None:
        self.limited = frozenset()

    def note(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.answered.append((method, path.split("?", 1)[0], status))

    def requests(self) -> list[tuple[str, str, int]]:
        with self._lock:
            return list(self.answered)


def _handler(proxy: RateLimitedProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: one request per connection, the body ends when the connection closes.
        protocol_version = "HTTP/1.0"

        def log_message(self, format, *args):  # quiet: the test reads proxy.requests()
            pass

        def _forward(self):
            if self.command in proxy.limited:
                self._rate_limited()
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            conn = http.client.HTTPConnection(*proxy.target, timeout=60)
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self._body(response)
                proxy.note(self.command, self.path, response.status)
            finally:
                conn.close()

        def _body(self, response):
            modes = proxy.blobs if "/blobs/sha256:" in self.path else set()
            half = int(response.getheader("Content-Length") or 0) // 2
            sent = 0
            while chunk := response.read(CHUNK):
                if sent <= half < sent + len(chunk):
                    if "break" in modes:
                        self.wfile.write(chunk[: half - sent])
                        self.wfile.flush()
                        self.close_connection = True
                        return  # HTTP/1.0: the connection closes short of Content-Length
                    if "corrupt" in modes:
                        i = half - sent
                        chunk = chunk[:i] + bytes([chunk[i] ^ 0xFF]) + chunk[i + 1 :]
                self.wfile.write(chunk)
                sent += len(chunk)
                if "slow" in modes:
                    time.sleep(0.02)

        def _rate_limited(self):
            self.send_response(429)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(RATE_LIMIT_BODY)))
            self.send_header("Docker-Distribution-Api-Version", "registry/2.0")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(RATE_LIMIT_BODY)
            proxy.note(self.command, self.path, 429)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

    return Handler
