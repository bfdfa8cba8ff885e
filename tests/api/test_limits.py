"""Request bodies past DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB) are refused before they are read.

Over a real socket (tests/rawhttp.py): the 413 arrives while the client still holds almost all
of the body it announced, or as soon as a chunked body runs past the limit.
"""

import json
import uuid

import pytest

from tests.factories import UserFactory
from tests.rawhttp import PendingRequest, send_whole

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
LIMIT = 5 * MiB // 2
LOGIN = "/api/v2/users/login"
API_TOO_LARGE = {"detail": "Request body too large: Wharf accepts at most 2.5 MiB here."}


def refused(url: str, path: str, content_type: str, *, chunked: bool):
    """Announce 64 MiB (or send a chunked body just past the limit) and read the answer."""
    headers = {"Content-Type": content_type}
    if not chunked:
        headers["Content-Length"] = str(64 * MiB)
    request = PendingRequest(url, "POST", path, headers, chunked=chunked)
    piece = b" " * (64 * 1024)
    for _ in range(1 if not chunked else LIMIT // len(piece) + 1):
        request.send(piece)
    return request.answer()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_big_anonymous_login_post_is_413_unread(asgi_server, chunked):
    answer = refused(asgi_server.url, LOGIN, "application/json", chunked=chunked)

    assert answer.status == 413
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == API_TOO_LARGE


def test_big_build_trigger_webhook_is_413_unread(asgi_server):
    path = f"/api/build-triggers/{uuid.uuid4()}/"

    answer = refused(asgi_server.url, path, "application/json", chunked=False)

    assert answer.status == 413
    assert answer.json() == API_TOO_LARGE


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_big_page_post_gets_a_short_413_page(asgi_server, chunked):
    answer = refused(
        asgi_server.url, "/login/", "application/x-www-form-urlencoded", chunked=chunked
    )

    assert answer.status == 413
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert b"<h1>Request too large</h1>" in answer.body
    assert b"Wharf accepts at most 2.5 MiB in one request here." in answer.body


def test_a_body_of_exactly_the_limit_is_read(asgi_server):
    user = UserFactory()
    body = json.dumps({"username": user.username, "password": "wrong"}).encode()
    body = body[:-1] + b" " * (LIMIT - len(body)) + b"}"

    answer = send_whole(asgi_server.url, "POST", LOGIN, {"Content-Type": "application/json"}, body)

    assert answer.status == 401
    assert answer.json() == {"detail": "Incorrect username or password."}


def test_the_limit_is_the_setting(asgi_server, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    answer = send_whole(
        asgi_server.url, "POST", LOGIN, {"Content-Type": "application/json"}, b" " * 1001
    )

    assert answer.status == 413
    assert answer.json() == {
        "detail": "Request body too large: Wharf accepts at most 1000 bytes here."
    }


def test_deeply_nested_json_is_a_400_with_a_message(asgi_server):
    answer = send_whole(
        asgi_server.url, "POST", LOGIN, {"Content-Type": "application/json"}, b"[" * 100_000
    )

    assert answer.status == 400
    assert answer.json() == {
        "detail": "JSON parse error - the body nests arrays or objects too deeply."
    }
