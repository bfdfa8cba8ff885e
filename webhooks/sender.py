"""One HTTP POST to a receiver, to the address that was checked.

The host is resolved once (``validation.resolve_allowed``: every address allowed), and the
connection goes to one of those addresses — never through a second lookup, which a name with a
short TTL could answer differently (DNS rebinding). The request still names the host: the
``Host`` header, and for https the SNI and the certificate check. Redirects are not followed:
a 3xx is a failure whose message says where it pointed. No proxy is used.

The timeout covers the whole attempt (connecting, sending, the answer's headers and first KB):
a watchdog shuts the socket down when it is up, so a receiver trickling bytes cannot hold a
worker past it.
"""

import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from webhooks.models import RESPONSE_KEEP_BYTES
from webhooks.validation import Refused, resolve_allowed

USER_AGENT = "Wharf-Hookshot/1"
EXPIRED = "timed out"  # _exchange's outcome when the watchdog fired; post() words it


@dataclass
class Outcome:
    """What one attempt got: an HTTP status and the start of the answer, or why not."""

    response_code: int | None = None
    response_body: str = ""
    error: str = ""
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.response_code is not None and 200 <= self.response_code < 300 and not self.error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, *, address: str, timeout: float, context: ssl.SSLContext):
        super().__init__(host, port, timeout=timeout, context=context)
        self.address = address
        self.tls = context

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # The certificate is checked against the URL's host, not the address connected to.
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def _clean(data: bytes) -> str:
    """The start of an answer as text a page can show: decoded, without NUL bytes."""
    return data[:RESPONSE_KEEP_BYTES].decode("utf-8", "replace").replace("\x00", "")


def _describe(exc: BaseException, host: str, port: int) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return EXPIRED
    if isinstance(exc, ConnectionRefusedError):
        return f"Connection refused by {host}:{port}."
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"The TLS certificate of {host} is not valid: {exc.verify_message or exc}."
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed with {host}: {exc.reason or exc}."
    if isinstance(exc, http.client.RemoteDisconnected):
        return "The receiver closed the connection without answering."
    if isinstance(exc, http.client.HTTPException):
        return f"The receiver's answer is not valid HTTP ({type(exc).__name__})."
    if isinstance(exc, OSError):
        return f"Could not reach {host}:{port}: {exc.strerror or exc}."
    return f"Sending failed: {exc}."


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Outcome:
    """POST ``body`` to ``url``; raises ``Refused`` for a host Wharf does not send to."""
    parts = urlsplit(url)
    https = parts.scheme.lower() == "https"
    try:  # an internationalised name as DNS, the Host header and TLS know it
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except UnicodeError:
        raise Refused(f"Not sent: {parts.hostname} is not a valid host name.") from None
    port = parts.port or (443 if https else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    addresses = resolve_allowed(host, port)
    started = time.monotonic()
    outcome = Outcome()
    for index, address in enumerate(addresses):
        if https:
            conn = _PinnedHTTPSConnection(
                host, port, address=address, timeout=timeout, context=tls_context()
            )
        else:
            conn = _PinnedHTTPConnection(host, port, address=address, timeout=timeout)
        remaining = max(0.001, timeout - (time.monotonic() - started))
        outcome, sent = _exchange(conn, target, body, headers, remaining, host, port)
        if outcome.error == EXPIRED:
            outcome.error = f"Timed out after {timeout:g} s."
        if sent or index == len(addresses) - 1:
            break  # only a connection that never opened moves on to the next address
    outcome.duration_ms = int((time.monotonic() - started) * 1000)
    return outcome


def _exchange(conn, target, body, headers, timeout, host, port) -> tuple[Outcome, bool]:
    """One request on ``conn``; (what came of it, whether the connection opened)."""
    expired = threading.Event()

    def expire():
        expired.set()
        sock = conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    watchdog = threading.Timer(timeout, expire)
    watchdog.daemon = True
    watchdog.start()
    opened = False
    try:
        conn.connect()
        opened = True
        conn.request("POST", target, body=body, headers={**headers, "Connection": "close"})
        response = conn.getresponse()
        code = response.status
        kept = response.read(RESPONSE_KEEP_BYTES)
        if expired.is_set():
            raise TimeoutError
        outcome = Outcome(response_code=code, response_body=_clean(kept))
        if 300 <= code < 400:
            location = (response.getheader("Location") or "")[:200]
            outcome.error = (
                f"The receiver answered {code}, a redirect"
                + (f" to {location}" if location else "")
                + "; redirects are not followed. Use the final URL."
            )
        return outcome, True
    except Exception as exc:  # every failure is the attempt's outcome, not the worker's
        if expired.is_set():
            return Outcome(error=EXPIRED), opened
        return Outcome(error=_describe(exc, host, port)), opened
    finally:
        watchdog.cancel()
        conn.close()
