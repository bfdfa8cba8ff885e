"""Forwarding headers count only from WHARF_TRUSTED_PROXIES (hub/webserver.py).

Against the real `manage.py serve`: a peer that is no trusted proxy — any local process is
127.0.0.1 — cannot pick the client address sign-in lockouts count by, nor the scheme.
"""

import base64
import json
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from uvicorn.main import main as uvicorn_cli

from hub.env import env_networks
from hub.webserver import uvicorn_command, uvicorn_options
from tests.conftest import free_port
from tests.hub.serving import BASE_DIR, hub_env, manage, request, start_hub, wait_for

MAX_FAILURES = 3
PASSWORD = "correct-horse-battery"
CHANNELS = ["page", "api", "token"]


def start(**env: str):
    scratch = Path(tempfile.mkdtemp(prefix="wharf-proxies-"))
    hub = start_hub(scratch / "data", WHARF_LOGIN_MAX_FAILURES=str(MAX_FAILURES), **env)
    names = [f"{channel}-{i}" for channel in CHANNELS for i in range(2)]
    code = (
        "from accounts.services import user_create\n"
        f"for name in {names!r}:\n"
        f"    user_create(username=name, email=name + '@example.test', password={PASSWORD!r})\n"
    )
    created = manage(hub.data_dir, "shell", "-c", code, **env)
    assert created.returncode == 0, created.stderr
    return hub, scratch


@pytest.fixture(scope="module")
def untrusting():
    """A hub behind no proxy (WHARF_TRUSTED_PROXIES unset), public URL https."""
    hub, scratch = start(WHARF_URL="https://localhost")
    yield hub
    hub.stop()
    shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(scope="module")
def trusting():
    """A hub behind a proxy on 127.0.0.1 — the test itself plays that proxy."""
    hub, scratch = start(WHARF_TRUSTED_PROXIES="127.0.0.1")
    yield hub
    hub.stop()
    shutil.rmtree(scratch, ignore_errors=True)


def sign_in(hub, channel: str, username: str, password: str, forwarded_for: str) -> str:
    """Sign in through ``channel`` as a proxy forwarding for ``forwarded_for`` would; returns
    "ok", "refused" (wrong password) or "locked"."""
    headers = {"X-Forwarded-For": forwarded_for}
    if channel == "page":
        form = request(hub.url + "/login/", headers=headers)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.body)[1]
        cookie = re.search(r"csrftoken=([^;]+)", form.headers["Set-Cookie"])[1]
        response = request(
            hub.url + "/login/",
            "POST",
            headers={**headers, "Cookie": f"csrftoken={cookie}"},
            body={"username": username, "password": password, "csrfmiddlewaretoken": csrf},
        )
        if response.status == 302:
            return "ok"
        assert response.status == 200, response.body
        if "Too many failed sign-in attempts for this account from your network." in response.body:
            return "locked"
        assert "Incorrect username or password." in response.body
        return "refused"
    if channel == "api":
        response = request(
            hub.url + "/api/v2/users/login",
            "POST",
            headers={**headers, "Content-Type": "application/json"},
            body=json.dumps({"username": username, "password": password}),
        )
    else:
        basic = base64.b64encode(f"{username}:{password}".encode()).decode()
        response = request(
            hub.url + "/token?service=localhost",
            headers={**headers, "Authorization": f"Basic {basic}"},
        )
    return {200: "ok", 401: "refused", 429: "locked"}[response.status]


@pytest.mark.integration
@pytest.mark.parametrize("channel", CHANNELS)
def test_forged_forwarded_for_does_not_escape_the_lockout(untrusting, channel):
    user = f"{channel}-0"
    for i in range(MAX_FAILURES):
        assert sign_in(untrusting, channel, user, "wrong-password", f"198.51.100.{i}") == "refused"

    # Each attempt claimed another address; all of them came from 127.0.0.1, which counts.
    assert sign_in(untrusting, channel, user, PASSWORD, "198.51.100.99") == "locked"


@pytest.mark.integration
@pytest.mark.parametrize("channel", CHANNELS)
def test_a_trusted_proxy_forwarded_address_is_the_one_locked_out(trusting, channel):
    user = f"{channel}-0"
    for _ in range(MAX_FAILURES):
        assert sign_in(trusting, channel, user, "wrong-password", "203.0.113.7") == "refused"

    assert sign_in(trusting, channel, user, PASSWORD, "203.0.113.7") == "locked"
    assert sign_in(trusting, channel, user, PASSWORD, "203.0.113.8") == "ok"


def realm(url: str) -> str:
    """The token endpoint /v2/ sends a client to, asked with X-Forwarded-Proto: https."""
    response = request(url + "/v2/", headers={"X-Forwarded-Proto": "https"})
    assert response.status == 401
    return re.search(r'realm="([^"]+)"', response.headers["WWW-Authenticate"])[1]


@pytest.mark.integration
def test_forwarded_proto_from_an_untrusted_peer_is_ignored(untrusting):
    # WHARF_URL is https, yet the request came in plain from no proxy: it is plain.
    assert realm(untrusting.url) == f"http://127.0.0.1:{untrusting.port}/token"


@pytest.mark.integration
def test_forwarded_proto_from_a_trusted_proxy_is_believed(trusting):
    assert realm(trusting.url) == f"https://127.0.0.1:{trusting.port}/token"


@pytest.mark.integration
@pytest.mark.parametrize("trusted", ["", "127.0.0.1"])
def test_web_server_alone_trusts_the_same_proxies(tmp_path, trusted):
    """`python -m hub.webserver`, for deployments that run the web server by itself."""
    data = tmp_path / "data"
    port = free_port()
    env = hub_env(data, PORT=str(port), WHARF_TRUSTED_PROXIES=trusted)
    server = subprocess.Popen(
        [sys.executable, "-m", "hub.webserver"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for("the web server", lambda: request(url + "/v2/").status == 401)
        scheme = "https" if trusted else "http"
        assert realm(url) == f"{scheme}://127.0.0.1:{port}/token"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


@pytest.mark.parametrize("trusted", ["", "127.0.0.1", "10.0.0.0/8, ::1"])
def test_serve_runs_uvicorn_with_the_test_servers_options(settings, monkeypatch, trusted):
    monkeypatch.setenv("WHARF_TRUSTED_PROXIES", trusted)
    settings.WHARF_TRUSTED_PROXIES = env_networks("WHARF_TRUSTED_PROXIES")
    args = uvicorn_command(host="127.0.0.1", port=8000)
    assert args[1:4] == ["-m", "uvicorn", "hub.asgi:application"]

    parsed = uvicorn_cli.make_context("uvicorn", args[3:]).params

    options = uvicorn_options()  # what tests/conftest.py's AsgiServer runs with
    for name, value in options.items():
        assert parsed[name] == value, name
    assert options["proxy_headers"] is bool(trusted)


def test_trusted_proxies_are_normalised(monkeypatch):
    monkeypatch.setenv("WHARF_TRUSTED_PROXIES", " 10.1.2.3/8 , ::1,192.0.2.10")

    assert env_networks("WHARF_TRUSTED_PROXIES") == ["10.0.0.0/8", "::1/128", "192.0.2.10/32"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "proxy.example",
            "WHARF_TRUSTED_PROXIES must be comma-separated IP addresses or networks "
            "(e.g. 10.0.0.5,192.168.0.0/16); 'proxy.example' is neither",
        ),
        ("10.0.0.0/33", "'10.0.0.0/33' is neither"),
        ("*", "'*' is neither"),
    ],
)
def test_bad_trusted_proxies_stop_start_up_naming_the_variable(tmp_path, value, message):
    result = manage(tmp_path / "data", "check", WHARF_TRUSTED_PROXIES=value)

    assert result.returncode != 0
    assert message in result.stderr
