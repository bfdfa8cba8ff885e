"""Webhook tests: a real HTTP receiver on 127.0.0.1, started by the test, that records every
request and answers from a script (500, 500, then 200…)."""

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hub.services import repository_create
from tests.factories import UserFactory
from tests.registry.conftest import clients, owner, registry  # noqa: F401  (fixtures)

SECRET = "s3cret-" + "w" * 20


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)

    def signature_valid(self, secret: str) -> bool:
        """What a receiver does: the HMAC-SHA256 of the exact body, compared in constant time."""
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.headers.get("x-wharf-signature-256", ""))


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"ok"
    headers: dict = field(default_factory=dict)
    delay: float = 0  # seconds before answering


class Receiver:
    """A ThreadingHTTPServer on a free loopback port. ``answers`` are used in order; after
    them every request gets 200."""

    def __init__(self, answers=(), tls=None):
        self.answers = [a if isinstance(a, Answer) else Answer(status=a) for a in answers]
        self.received: list[Received] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802  (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.received.append(
                        Received(
                            path=self.path,
                            headers={k.lower(): v for k, v in self.headers.items()},
                            body=body,
                        )
                    )
                    answer = receiver.answers.pop(0) if receiver.answers else Answer()
                if answer.delay:
                    time.sleep(answer.delay)
                self.send_response(answer.status)
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:  # an ssl.SSLContext for the server side
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 60) -> list[Received]:
        """The first ``count`` requests, once they have arrived."""
        wait_until(lambda: len(self.received) >= count, timeout, f"{count} request(s)")
        return self.received[:count]


def wait_until(predicate, timeout: float = 60, what: str = "the condition"):
    """Poll until ``predicate()`` is true (a deadline for a hung run, not a timed assertion)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def receiver():
    """receiver(500, 500) starts one; all are stopped after the test."""
    started = []

    def start(*answers, tls=None) -> Receiver:
        r = Receiver(answers, tls=tls)
        started.append(r)
        return r

    yield start
    for r in started:
        r.stop()


@pytest.fixture
def allow_private(settings):
    """Receivers on 127.0.0.1 are allowed, as WHARF_WEBHOOK_ALLOW_PRIVATE=1 does."""
    settings.WHARF_WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def fast_retries(settings):
    settings.WHARF_WEBHOOK_RETRY_DELAYS = [0.2, 0.2, 0.2, 0.2]
    settings.WHARF_WEBHOOK_TIMEOUT_SECONDS = 5


def record_push(repository, *, tag: str = "v1", user=None):
    """A push event, as hub.registry.manifests records one (in the caller's transaction)."""
    from hub.events import EventActor, event_record

    actor = EventActor(user=user, kind="user", name=user.username) if user else None
    return event_record(
        action="push",
        actor=actor,
        repository=repository,
        tag=tag,
        digest="sha256:" + "ab" * 32,
        data={
            "media_type": "application/vnd.oci.image.index.v1+json",
            "platforms": ["linux/amd64", "linux/arm64/v8"],
        },
    )


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def app(alice):
    """alice's public repository alice/app."""
    return repository_create(user=alice, namespace="alice", name="app")


@pytest.fixture
def vault(alice):
    """alice's private repository alice/vault."""
    return repository_create(user=alice, namespace="alice", name="vault", is_private=True)
