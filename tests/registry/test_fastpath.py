"""The registry's cached read path (hub.registry.fastpath) answers exactly as Django's views do.

Basic credentials always go to Django; the same request with a bearer token is served from the
fast path: both must give the same status, headers and body. Counters of the served process
(``app.stats``, the test's own process here) show which path answered.
"""

import hashlib
import json
import os
import time
from datetime import timedelta

import jwt
import pytest
from django.test import Client
from django.utils import timezone

from hub.models import Repository
from hub.pulls import pull_counts_flush
from hub.registry import mediatypes
from hub.registry.fastpath import app
from hub.services import repository_create
from orgs import robots
from orgs.models import Robot
from orgs.services import collaborator_remove, collaborator_set, org_create
from tests.factories import UserFactory, make_token
from tests.registry.conftest import basic
from tests.registry.test_http import push_blob, push_image

# Headers that differ between any two answers, whoever gives them.
VOLATILE = {"date"}


@pytest.fixture
def image(registry, owner):
    user, raw = owner
    name = f"{user.username}/app"
    http = registry.http
    headers = http.bearer(f"repository:{name}:pull,push", auth=basic(user.username, raw))
    descriptor, _, layer = push_image(http, name, "v1", headers)
    pull = http.bearer(f"repository:{name}:pull", auth=basic(user.username, raw))
    app.clear()
    return http, name, descriptor, layer, pull, basic(user.username, raw)


def _served(fn):
    before = app.stats["served"]
    result = fn()
    return result, app.stats["served"] - before


def _same(http, method, path, fast_headers, slow_headers, extra=None, *, by_fast=True):
    """The answers of Django (Basic) and of the fast path (bearer): equal, the second served
    (by Django too when not ``by_fast``: blobs in S3 are Django's to serve)."""
    extra = extra or {}
    slow, served_slow = _served(
        lambda: http.request(method, path, headers={**slow_headers, **extra})
    )
    http.request(method, path, headers={**fast_headers, **extra})  # fills the caches
    fast, served_fast = _served(
        lambda: http.request(method, path, headers={**fast_headers, **extra})
    )
    assert served_slow == 0 and served_fast == int(by_fast), (method, path)
    assert fast[0] == slow[0] == 200
    strip = lambda h: {k: v for k, v in h.items() if k not in VOLATILE}  # noqa: E731
    assert strip(fast[1]) == strip(slow[1]), (method, path)
    assert fast[2] == slow[2]
    return fast


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_manifests_and_blobs_answer_as_django_does(image, method, blob_store_kind):
    http, name, descriptor, layer, pull, basic_auth = image
    fast_blobs = blob_store_kind == "filesystem"  # the fast path sends files, not S3 objects
    slow = {"Authorization": basic_auth}
    accept = {"Accept": "application/vnd.oci.image.manifest.v1+json"}
    _same(http, method, f"/v2/{name}/manifests/v1", pull, slow, accept)
    _same(http, method, f"/v2/{name}/manifests/{descriptor['digest']}", pull, slow)
    layer_digest = "sha256:" + hashlib.sha256(layer).hexdigest()
    path = f"/v2/{name}/blobs/{layer_digest}"
    _, _, body = _same(http, method, path, pull, slow, by_fast=fast_blobs)
    assert body == (layer if method == "GET" else b"")
    _same(http, method, "/v2/", pull, slow)
    # Anonymous: the challenge, with Django's words (Basic with a bad secret goes to Django).
    (status, headers, body), served = _served(lambda: http.request(method, "/v2/"))
    host = f"{http.host}:{http.port}"
    django = Client().generic(method, "/v2/", HTTP_HOST=host)  # Django's own answer
    assert (status, served) == (401, 1) and django.status_code == 401
    assert headers["www-authenticate"] == django["WWW-Authenticate"]
    assert headers["www-authenticate"].startswith(f'Bearer realm="http://{host}/token"')
    assert body == (b"" if method == "HEAD" else django.content)


@pytest.mark.filesystem_only  # the fast path's own streaming of blob files
def test_large_blobs_stream_whole(image, registry, owner):
    http, name, _, _, _, _ = image
    user, raw = owner
    push = http.bearer(f"repository:{name}:pull,push", auth=basic(user.username, raw))
    data = os.urandom(app.WHOLE_READ + app.STREAM_CHUNK + 123)  # whole read, then chunks
    digest = push_blob(http, name, data, push)
    pull = http.bearer(f"repository:{name}:pull", auth=basic(user.username, raw))
    (status, headers, body), served = _served(
        lambda: http.request("GET", f"/v2/{name}/blobs/{digest}", headers=pull)
    )
    assert status == 200 and served == 1
    assert int(headers["content-length"]) == len(data) and body == data


def test_what_needs_django_goes_to_django(image, owner):
    http, name, descriptor, layer, pull, _ = image
    user, raw = owner
    digest = "sha256:" + hashlib.sha256(layer).hexdigest()
    # A Range;
    # a manifest type the client does not accept; a tag that does not exist.
    for method, path, headers, status in [
        ("GET", f"/v2/{name}/blobs/{digest}", {**pull, "Range": "bytes=0-9"}, 206),
        ("GET", f"/v2/{name}/manifests/v1", {**pull, "Accept": mediatypes.DOCKER_LIST}, 404),
        ("GET", f"/v2/{name}/manifests/nope", pull, 404),
        ("GET", f"/v2/{name}/manifests/v1", {"Authorization": "Bearer not-a-jwt"}, 401),
    ]:
        (got, _, _), served = _served(lambda: http.request(method, path, headers=headers))  # noqa: B023
        assert (got, served) == (status, 0), (method, path, headers)


def test_pulls_through_the_fast_path_count_once(image):
    http, name, descriptor, _, pull, _ = image
    pull_counts_flush()
    for _ in range(3):
        http.request("GET", f"/v2/{name}/manifests/v1", headers=pull)
    http.request("HEAD", f"/v2/{name}/manifests/v1", headers=pull)
    assert app.stats["served"] >= 3
    assert pull_counts_flush() == 3
    assert Repository.objects.get(name="app").pull_count == 3


def test_a_cached_answer_never_outlives_a_push_or_a_revocation(image, owner):
    http, name, first, _, pull, _ = image
    user, raw = owner
    push = http.bearer(f"repository:{name}:pull,push", auth=basic(user.username, raw))
    path = f"/v2/{name}/manifests/v1"
    assert http.request("HEAD", path, headers=pull)[1]["docker-content-digest"] == first["digest"]
    second, _, _ = push_image(http, name, "v1", push)
    assert http.request("HEAD", path, headers=pull)[1]["docker-content-digest"] == second["digest"]

    from accounts.models import AccessToken
    from accounts.services import access_token_revoke

    access_token_revoke(token=AccessToken.objects.get(user=user))
    assert http.request("HEAD", path, headers=pull)[0] == 401


def test_a_robot_past_its_expiry_is_refused_although_its_rights_were_cached(registry, owner):
    # Expiry is a time, not a change: no epoch is bumped when it passes, so the cached rights
    # of a robot must end when it does.
    user, raw = owner
    http = registry.http
    org = org_create(user=user, name="acme")
    repository_create(user=user, namespace="acme", name="app", is_private=True)
    push = http.bearer("repository:acme/app:pull,push", auth=basic(user.username, raw))
    push_image(http, "acme/app", "v1", push)
    robot, secret = robots.robot_create(
        namespace=org, name="ci", created_by=user, repositories=["app"], actions=["pull"]
    )
    expires = timezone.now() + timedelta(seconds=2)
    Robot.objects.filter(pk=robot.pk).update(expires_at=expires)
    pull = http.bearer("repository:acme/app:pull", auth=basic("acme+ci", secret))
    for _ in range(2):
        assert http.request("HEAD", "/v2/acme/app/manifests/v1", headers=pull)[0] == 200
    time.sleep(max((expires - timezone.now()).total_seconds(), 0) + 0.2)
    assert http.request("HEAD", "/v2/acme/app/manifests/v1", headers=pull)[0] == 401


def _token_answer(http, query, auth=None):
    headers = {"Authorization": auth} if auth else {}
    (status, h, body), served = _served(
        lambda: http.request("GET", f"/token?{query}", headers=headers)
    )
    return status, h, json.loads(body) if body else None, served


def _claims(body):
    return jwt.decode(body["token"], options={"verify_signature": False})


@pytest.mark.parametrize("who", ["anonymous", "token", "robot"])
def test_tokens_from_the_fast_path_grant_what_django_grants(registry, owner, who):
    user, raw = owner
    http = registry.http
    org = org_create(user=user, name="acme")
    repository_create(user=user, namespace="acme", name="app", is_private=False)
    repository_create(user=user, namespace="acme", name="secret", is_private=True)
    auth, fallback = None, None
    if who == "token":
        auth = basic(user.username, raw)
    elif who == "robot":
        robot, secret = robots.robot_create(
            namespace=org, name="ci", created_by=user, repositories=["app"], actions=["pull"]
        )
        auth = basic(robot.user.username, secret)
    query = (
        "service=x&scope=repository:acme/app:pull,push&scope=repository:acme/secret:pull"
        "&scope=repository:Bad_Name:pull&scope=registry:catalog:*"
    )
    app.clear()
    first = _token_answer(http, query, auth)  # fills the caches (or is Django's, anonymous)
    second = _token_answer(http, query, auth)
    assert second[3] == 1 and first[0] == second[0] == 200
    # What Django grants for the same question: POST goes to Django.
    if auth:
        fallback = http.request(
            "POST", "/token", body=query.encode(),
            headers={"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
    else:
        fallback = http.request("GET", f"/token?{query}&client_id=none", headers={})
    assert fallback[0] == 200, fallback
    slow = json.loads(fallback[2])
    fast = second[2]
    for claim in ("sub", "access", "pat", "rbt", "aud", "iss"):
        assert _claims(fast).get(claim) == _claims(slow).get(claim), claim
    assert set(fast) == set(slow)
    strip = lambda h: {k: v for k, v in h.items() if k not in VOLATILE | {"content-length"}}  # noqa: E731
    assert strip(second[1]) == strip(fallback[1])


def test_the_token_endpoint_sees_a_revoked_token_and_lost_rights_at_once(registry, owner):
    from accounts.models import AccessToken
    from accounts.services import access_token_revoke

    user, raw = owner
    http = registry.http
    reader = UserFactory()
    _, reader_raw = make_token(reader, scope="read")
    repository_create(user=user, namespace=user.username, name="app", is_private=True)
    repo = Repository.objects.get(name="app")
    collaborator_set(repository=repo, username=reader.username, permission="read")
    query = f"service=x&scope=repository:{user.username}/app:pull"
    auth = basic(reader.username, reader_raw)
    for _ in range(2):
        status, _, body, _ = _token_answer(http, query, auth)
        assert _claims(body)["access"][0]["actions"] == ["pull"]
    collaborator_remove(repository=repo, username=reader.username)
    _, _, body, _ = _token_answer(http, query, auth)
    assert _claims(body)["access"][0]["actions"] == []

    access_token_revoke(token=AccessToken.objects.get(user=reader))
    status, _, body, served = _token_answer(http, query, auth)
    assert (status, served) == (401, 0)


def test_a_wrong_secret_counts_towards_the_lockout_even_with_a_cached_right_one(
    registry, owner, settings
):
    settings.WHARF_LOGIN_MAX_FAILURES = 2
    user, raw = owner
    http = registry.http
    query = f"service=x&scope=repository:{user.username}/app:pull"
    for _ in range(2):
        assert _token_answer(http, query, basic(user.username, raw))[0] == 200
    for _ in range(2):
        assert _token_answer(http, query, basic(user.username, raw + "x"))[0] == 401
    status, _, _, served = _token_answer(http, query, basic(user.username, raw))
    assert (status, served) == (429, 0)


def test_a_pushers_blob_check_and_unknown_blobs_answer_as_django_does(
    image, owner, blob_store_kind
):
    from hub.models import Blob

    by_fast = int(blob_store_kind == "filesystem")  # blobs in S3: Django answers, the same way
    http, name, _, layer, pull, basic_auth = image
    user, raw = owner
    push = http.bearer(f"repository:{name}:pull,push", auth=basic(user.username, raw))
    digest = "sha256:" + hashlib.sha256(layer).hexdigest()
    unknown = "sha256:" + "0" * 64
    slow = {"Authorization": basic_auth}
    for method, path, fast in [
        ("HEAD", f"/v2/{name}/blobs/{unknown}", push),
        ("HEAD", f"/v2/{name}/blobs/{unknown}", pull),
        ("GET", f"/v2/{name}/blobs/{unknown}", pull),
    ]:
        slow_answer = http.request(method, path, headers=slow)
        fast_answer, served = _served(lambda: http.request(method, path, headers=fast))  # noqa: B023
        assert served == by_fast and fast_answer[0] == slow_answer[0] == 404
        strip = lambda h: {k: v for k, v in h.items() if k not in VOLATILE}  # noqa: E731
        assert strip(fast_answer[1]) == strip(slow_answer[1]) and fast_answer[2] == slow_answer[2]
    # A pusher's HEAD of a blob it has marks the blob used, so gc spares it.
    Blob.objects.filter(digest=digest).update(last_linked_at=timezone.now() - timedelta(days=9))
    (status, headers, _), served = _served(
        lambda: http.request("HEAD", f"/v2/{name}/blobs/{digest}", headers=push)
    )
    assert (status, served) == (200, by_fast) and headers["content-length"] == str(len(layer))
    age = timezone.now() - Blob.objects.get(digest=digest).last_linked_at
    assert age < timedelta(minutes=1)


def test_an_upload_started_by_the_fast_path_is_djangos_to_finish(image, owner):
    http, name, _, _, _, basic_auth = image
    user, raw = owner
    push = http.bearer(f"repository:{name}:pull,push", auth=basic(user.username, raw))
    path = f"/v2/{name}/blobs/uploads/"
    slow = http.request("POST", path, headers={"Authorization": basic_auth})
    fast, served = _served(lambda: http.request("POST", path, headers=push))
    assert served == 1 and fast[0] == slow[0] == 202
    differ = VOLATILE | {"location", "docker-upload-uuid"}
    assert {k: v for k, v in fast[1].items() if k not in differ} == {
        k: v for k, v in slow[1].items() if k not in differ
    }
    assert fast[1]["location"] == f"{path}{fast[1]['docker-upload-uuid']}"
    data = os.urandom(5000)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    status, headers, _ = http.request("PUT", f"{fast[1]['location']}?digest={digest}", body=data,
                                      headers=push)  # fmt: skip
    assert status == 201 and headers["docker-content-digest"] == digest
    assert http.request("GET", f"/v2/{name}/blobs/{digest}", headers=push)[2] == data
    # Mounts, monolithic uploads and a body go to Django.
    for query, body in [(f"?mount={digest}&from={name}", None), (f"?digest={digest}", data)]:
        (status, _, _), served = _served(
            lambda: http.request("POST", path + query, body=body, headers=push)  # noqa: B023
        )
        assert (status, served) == (201, 0)


def test_asking_for_names_that_do_not_exist_stores_nothing_in_redis(registry, owner):
    from hub.redisconn import get_redis
    from hub.registry.fastpath import epochs

    user, raw = owner
    http = registry.http
    for i in range(20):
        name = f"{user.username}/nothing-{i}"
        headers = http.bearer(f"repository:{name}:pull", auth=basic(user.username, raw))
        assert http.request("HEAD", f"/v2/{name}/manifests/latest", headers=headers)[0] == 404
        assert http.request("HEAD", f"/v2/ghost{i}/app/manifests/latest")[0] == 401
    assert list(get_redis().scan_iter(match=epochs.repository_key("*"))) == []
