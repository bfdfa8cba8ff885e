"""Sign-in without Redis, where failures are counted: refused with 503 and a message, never let
through unlimited. Redis is a real private redis-server, hung (SIGSTOP: it accepts connections
and never answers, so the client's socket timeout fires) or down (killed).
"""

import http.client
import json
import os
import re
import shutil
import signal
import tempfile
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from hub.procs import start_private_redis, stop
from tests.factories import PASSWORD, UserFactory, make_token
from tests.registry.conftest import basic

pytestmark = pytest.mark.integration

MESSAGE = (
    "Sign-in is unavailable for a moment: Wharf cannot reach its rate-limit store (Redis). "
    "Try again shortly."
)


@pytest.fixture
def rate_limit_redis(settings):
    """A redis-server of this test's own, which Wharf's rate limits use."""
    # Not tmp_path: a Unix socket's path may be ~107 bytes at most.
    scratch = Path(tempfile.mkdtemp(prefix="wharf-rl-"))
    proc = start_private_redis(scratch)
    # A new URL, so hub.redisconn makes a new pool for it.
    settings.REDIS_URL = f"unix://{scratch}/redis.sock"
    yield proc
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGCONT)
    stop([proc])
    shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(params=["hung", "down"])
def redis_away(request, rate_limit_redis):
    """Enter it to make Redis hang or die for the requests inside."""
    proc = rate_limit_redis

    @contextmanager
    def away():
        if request.param == "hung":
            os.kill(proc.pid, signal.SIGSTOP)
            try:
                yield
            finally:
                os.kill(proc.pid, signal.SIGCONT)
        else:
            proc.kill()
            proc.wait()
            yield

    return away


def request(server, method: str, path: str, *, body: bytes = b"", headers=None):
    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    conn.request(method, path, body=body or None, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, data


def test_sign_in_page_says_sign_in_is_unavailable(asgi_server, redis_away):
    user = UserFactory()
    _, headers, page = request(asgi_server, "GET", "/login/")
    cookie = headers["set-cookie"].split(";")[0]
    csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1].decode()
    form = urlencode({"csrfmiddlewaretoken": csrf, "username": user.username, "password": PASSWORD})

    with redis_away():
        status, headers, page = request(
            asgi_server,
            "POST",
            "/login/",
            body=form.encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie,
                "Referer": f"{asgi_server.url}/login/",
            },
        )

    assert status == 503
    assert headers["retry-after"] == "30"
    assert MESSAGE.encode() in page
    assert b"sessionid" not in headers.get("set-cookie", "").encode()  # not signed in


def test_api_login_answers_503_with_a_message(asgi_server, redis_away):
    user = UserFactory()
    body = json.dumps({"username": user.username, "password": PASSWORD}).encode()

    with redis_away():
        status, headers, data = request(
            asgi_server,
            "POST",
            "/api/v2/users/login",
            body=body,
            headers={"Content-Type": "application/json"},
        )

    assert status == 503
    assert headers["retry-after"] == "30"
    assert json.loads(data) == {"detail": MESSAGE}


def _unavailable(status: int, headers: dict, data: bytes) -> None:
    assert status == 503
    assert headers["retry-after"] == "30"
    assert headers["docker-distribution-api-version"] == "registry/2.0"
    assert json.loads(data) == {
        "errors": [{"code": "UNAVAILABLE", "message": MESSAGE, "detail": None}]
    }


@pytest.mark.parametrize("secret", ["password", "access token"])
def test_registry_token_endpoint_answers_503_unavailable(asgi_server, settings, redis_away, secret):
    settings.WHARF_URL = asgi_server.url
    user = UserFactory()
    raw = PASSWORD if secret == "password" else make_token(user)[1]

    with redis_away():
        answer = request(
            asgi_server,
            "GET",
            f"/token?service=x&scope=repository:{user.username}/app:pull",
            headers={"Authorization": basic(user.username, raw)},
        )

    _unavailable(*answer)


def test_basic_auth_on_v2_answers_503_unavailable(asgi_server, settings, redis_away):
    settings.WHARF_URL = asgi_server.url
    user = UserFactory()

    with redis_away():
        answer = request(
            asgi_server, "GET", "/v2/", headers={"Authorization": basic(user.username, PASSWORD)}
        )

    _unavailable(*answer)


def test_password_reset_still_sets_the_password_without_redis(client, db, rate_limit_redis):
    user = UserFactory()
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    # The token URL redirects to the set-password form (the token moves into the session).
    form_url = client.get(f"/password/reset/{uid}/{token}/")["Location"]
    rate_limit_redis.kill()
    rate_limit_redis.wait()

    response = client.post(
        form_url, {"new_password1": "a-new-horse-battery", "new_password2": "a-new-horse-battery"}
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-new-horse-battery")
