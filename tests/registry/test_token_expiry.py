"""A personal access token past its expiry is refused by every door of the registry: Basic
credentials and the token endpoint (Django), bearer tokens issued while it was valid, and the
cached fast path, whose cached rights end when the token does (expiry bumps no epoch)."""

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AccessToken
from accounts.services import access_token_create
from hub.registry.fastpath import app
from tests.registry.conftest import basic
from tests.registry.test_http import push_image

# Token expiry: the one image it pushes only gives the tokens something to read.
pytestmark = pytest.mark.store_independent


def _token(user, *, expires_at, description="expiring"):
    token, raw = access_token_create(user=user, description=description, scope="read")
    # The form offers days; a test cannot wait that long. update() bumps no epoch either, as
    # the passing of time does not.
    AccessToken.objects.filter(pk=token.pk).update(expires_at=expires_at)
    return raw


def _wait_past(expires_at):
    time.sleep(max((expires_at - timezone.now()).total_seconds(), 0) + 0.2)


def _served(fn):
    before = app.stats["served"]
    result = fn()
    return result, app.stats["served"] - before


def test_an_expired_token_gets_401_saying_it_expired_from_the_token_endpoint(registry, owner):
    user, _ = owner
    raw = _token(user, expires_at=timezone.now() - timedelta(days=1))
    expected = (
        f"access token “expiring” expired on {(timezone.now() - timedelta(days=1)):%Y-%m-%d}; "
        "create a new one under Settings → Access tokens"
    )
    for method, path, body, headers in (
        ("GET", "/token?service=x&scope=repository:a/b:pull", None, {}),
        ("POST", "/token", b"service=x&grant_type=password", {
            "Content-Type": "application/x-www-form-urlencoded"
        }),
    ):  # fmt: skip
        auth = {"Authorization": basic(user.username, raw), **headers}
        status, h, data = registry.http.request(method, path, body=body, headers=auth)
        assert status == 401, data
        assert json.loads(data)["errors"][0]["message"] == expected
        assert h["www-authenticate"].startswith("Bearer realm=")


def test_basic_credentials_with_an_expired_token_are_refused_on_v2(registry, owner):
    user, raw_owner = owner
    name = f"{user.username}/app"
    http = registry.http
    push_image(http, name, "v1", http.bearer(f"repository:{name}:pull,push",
                                             auth=basic(user.username, raw_owner)))  # fmt: skip
    raw = _token(user, expires_at=timezone.now() - timedelta(seconds=1))
    status, _, data = http.request(
        "GET", f"/v2/{name}/tags/list", headers={"Authorization": basic(user.username, raw)}
    )
    assert status == 401
    assert "expired on" in json.loads(data)["errors"][0]["message"]


def test_a_bearer_token_issued_before_the_expiry_stops_working_at_it(registry, owner):
    user, raw_owner = owner
    name = f"{user.username}/app"
    http = registry.http
    push_image(http, name, "v1", http.bearer(f"repository:{name}:pull,push",
                                             auth=basic(user.username, raw_owner)))  # fmt: skip
    expires = timezone.now() + timedelta(seconds=2)
    raw = _token(user, expires_at=expires)
    pull = http.bearer(f"repository:{name}:pull", auth=basic(user.username, raw))
    app.clear()
    # tags/list is Django's; manifests are the fast path's, cached after the first request.
    assert http.request("GET", f"/v2/{name}/tags/list", headers=pull)[0] == 200
    for _ in range(2):
        (status, _, _), _ = _served(
            lambda: http.request("HEAD", f"/v2/{name}/manifests/v1", headers=pull)
        )
        assert status == 200
    (status, _, _), served = _served(
        lambda: http.request("HEAD", f"/v2/{name}/manifests/v1", headers=pull)
    )
    assert served == 1  # its rights were cached

    _wait_past(expires)
    assert http.request("HEAD", f"/v2/{name}/manifests/v1", headers=pull)[0] == 401
    status, _, data = http.request("GET", f"/v2/{name}/tags/list", headers=pull)
    assert status == 401
    assert json.loads(data)["errors"][0]["message"] == (
        "the access token this was issued for has expired or been revoked, or its account disabled"
    )


def test_the_fast_token_endpoint_refuses_an_expired_token_it_had_cached(registry, owner):
    user, _ = owner
    http = registry.http
    expires = timezone.now() + timedelta(seconds=2)
    raw = _token(user, expires_at=expires)
    query = f"/token?service=x&scope=repository:{user.username}/app:pull"
    auth = {"Authorization": basic(user.username, raw)}
    app.clear()
    http.request("GET", query, headers=auth)  # fills the caches
    (status, _, _), served = _served(lambda: http.request("GET", query, headers=auth))
    assert (status, served) == (200, 1)

    _wait_past(expires)
    (status, _, data), served = _served(lambda: http.request("GET", query, headers=auth))
    assert (status, served) == (401, 0)  # not from the cache: Django says why
    assert "expired on" in json.loads(data)["errors"][0]["message"]
