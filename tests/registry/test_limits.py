"""What the registry takes from a request: who may send a manifest, how big, how deep, how long.

Bodies are sent piece by piece over a real socket (tests/rawhttp.py), so a test can show that
the server answered from the headers alone: the answer arrives while the client still holds
almost all of the body it announced, and nothing of it is stored.
"""

import hashlib
import json
import os

import pytest

from hub.models import Manifest, Repository
from hub.registry.manifests import MAX_MANIFEST_BYTES
from tests.factories import UserFactory, make_token
from tests.rawhttp import PendingRequest, send_whole
from tests.registry.conftest import basic

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
TOO_LARGE = "manifest too large: Wharf accepts manifests of up to 4 MiB"


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def error_of(answer, status: int) -> dict:
    assert answer.status == status, answer.body[:500]
    assert answer.headers["docker-distribution-api-version"] == "registry/2.0"
    return answer.json()["errors"][0]


@pytest.fixture
def alice(registry, owner):
    user, raw = owner
    name = f"{user.username}/app"
    headers = registry.http.bearer(
        f"repository:{name}:pull,push,delete", auth=basic(user.username, raw)
    )
    return registry, name, headers


def push_blob(registry, name: str, data: bytes, headers: dict) -> str:
    status, h, _ = registry.http.request(
        "POST", f"/v2/{name}/blobs/uploads/?digest={sha(data)}", body=data, headers=headers
    )
    assert status == 201, h
    return sha(data)


def image_manifest(registry, name: str, headers: dict, config: bytes | None = None) -> bytes:
    config = config if config is not None else b'{"architecture": "amd64", "os": "linux"}'
    layer = os.urandom(1024)
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": push_blob(registry, name, config, headers),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": push_blob(registry, name, layer, headers),
                    "size": len(layer),
                }
            ],
        }
    ).encode()


# --- manifest PUTs: who may send one is settled before a byte of it is received ---


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_anonymous_manifest_put_is_refused_before_its_body_is_sent(registry, owner, chunked):
    user, _ = owner
    headers = {"Content-Type": OCI_MANIFEST}
    if not chunked:
        headers["Content-Length"] = str(64 * MiB)
    request = PendingRequest(
        registry.url, "PUT", f"/v2/{user.username}/app/manifests/v1", headers, chunked=chunked
    )
    request.send(b"[" * 16 * 1024)  # of 64 MiB announced, or of a chunked body without end

    answer = request.answer()

    error = error_of(answer, 401)
    assert error["code"] == "UNAUTHORIZED"
    assert error["message"] == "authentication required"
    assert answer.headers["www-authenticate"] == (
        f'Bearer realm="{registry.url}/token",service="{registry.host}",'
        f'scope="repository:{user.username}/app:pull,push"'
    )
    assert not Repository.objects.exists()


def test_manifest_put_to_someone_elses_namespace_is_refused_before_its_body_is_sent(
    registry, owner
):
    user, _ = owner
    bob = UserFactory(username="bob")
    _, raw = make_token(bob, scope="read_write")
    name = f"{user.username}/app"
    headers = registry.http.bearer(f"repository:{name}:pull,push", auth=basic("bob", raw))
    request = PendingRequest(
        registry.url,
        "PUT",
        f"/v2/{name}/manifests/v1",
        {**headers, "Content-Type": OCI_MANIFEST, "Content-Length": str(64 * MiB)},
    )
    request.send(b"{" * 16 * 1024)

    error = error_of(request.answer(), 403)

    assert error["code"] == "DENIED"
    assert error["message"] == (
        "you may push only to your own namespace (bob/…) and to organizations where you are an "
        f"owner or editor, not to {user.username}/; try bob/app"
    )
    assert not Repository.objects.exists()


def test_manifest_put_to_a_namespace_nobody_owns_is_404_before_its_body_is_sent(registry):
    staff = UserFactory(username="root", is_staff=True)
    _, raw = make_token(staff, scope="read_write")
    headers = registry.http.bearer("repository:ghost/app:pull,push", auth=basic("root", raw))
    request = PendingRequest(
        registry.url,
        "PUT",
        "/v2/ghost/app/manifests/v1",
        {**headers, "Content-Type": OCI_MANIFEST, "Content-Length": str(64 * MiB)},
    )
    request.send(b"{" * 16 * 1024)

    error = error_of(request.answer(), 404)

    assert error["code"] == "NAME_UNKNOWN"
    assert error["message"] == (
        "there is no namespace ghost/: push to an existing user's namespace or library/"
    )


# --- manifest PUTs: 4 MiB at most ---


def test_manifest_announced_over_4_mib_is_refused_unread(alice):
    registry, name, headers = alice
    request = PendingRequest(
        registry.url,
        "PUT",
        f"/v2/{name}/manifests/v1",
        {**headers, "Content-Type": OCI_MANIFEST, "Content-Length": str(MAX_MANIFEST_BYTES + 1)},
    )
    request.send(b" " * 16 * 1024)

    error = error_of(request.answer(), 400)

    assert error == {
        "code": "MANIFEST_INVALID",
        "message": TOO_LARGE,
        "detail": {"limit": MAX_MANIFEST_BYTES},
    }
    assert not Manifest.objects.exists()


def test_chunked_manifest_is_cut_off_at_4_mib(alice):
    registry, name, headers = alice
    request = PendingRequest(
        registry.url,
        "PUT",
        f"/v2/{name}/manifests/v1",
        {**headers, "Content-Type": OCI_MANIFEST},
        chunked=True,
    )
    piece = b" " * (64 * 1024)
    for _ in range(MAX_MANIFEST_BYTES // len(piece) + 1):  # one piece past the cap, no end
        request.send(piece)

    error = error_of(request.answer(), 400)

    assert error["code"] == "MANIFEST_INVALID"
    assert error["message"] == TOO_LARGE
    assert not Manifest.objects.exists()


def test_chunked_manifest_within_the_cap_is_stored(alice):
    registry, name, headers = alice
    body = image_manifest(registry, name, headers)

    answer = send_whole(
        registry.url,
        "PUT",
        f"/v2/{name}/manifests/v1",
        {**headers, "Content-Type": OCI_MANIFEST},
        body,
        chunked=True,
        piece=100,
    )

    assert answer.status == 201, answer.body
    assert answer.headers["docker-content-digest"] == sha(body)
    assert bytes(Manifest.objects.get().content) == body


def test_manifest_of_exactly_4_mib_is_read_whole(alice):
    registry, name, headers = alice
    body = image_manifest(registry, name, headers)
    body = body[:-1] + b" " * (MAX_MANIFEST_BYTES - len(body)) + b"}"  # JSON allows the padding

    status, h, _ = registry.http.request(
        "PUT",
        f"/v2/{name}/manifests/v1",
        body=body,
        headers={**headers, "Content-Type": OCI_MANIFEST},
    )

    assert status == 201
    assert h["docker-content-digest"] == sha(body)


# --- manifest PUTs: nesting ---


def nested(levels: int) -> list:
    """A list ``levels`` deep: [[[…]]]."""
    value: list = []
    for _ in range(levels - 1):
        value = [value]
    return value


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,  # past Python's recursion limit: json itself gives up
        json.dumps({"schemaVersion": 2, "x": nested(64)}).encode(),  # 65 with the document
    ],
    ids=["unparseable", "65-levels"],
)
def test_deeply_nested_manifest_is_invalid(alice, body):
    registry, name, headers = alice

    status, _, error = registry.http.json(
        "PUT",
        f"/v2/{name}/manifests/v1",
        body=body,
        headers={**headers, "Content-Type": OCI_MANIFEST},
    )

    assert status == 400
    assert error["errors"][0] == {
        "code": "MANIFEST_INVALID",
        "message": "manifest nests arrays and objects more than 64 levels deep",
        "detail": {"limit": 64},
    }


def test_manifest_nested_64_levels_is_accepted(alice):
    registry, name, headers = alice
    doc = json.loads(image_manifest(registry, name, headers))
    doc["x-extension"] = nested(63)  # 64 levels with the document itself

    status, h, _ = registry.http.request(
        "PUT",
        f"/v2/{name}/manifests/v1",
        body=json.dumps(doc).encode(),
        headers={**headers, "Content-Type": OCI_MANIFEST},
    )

    assert status == 201, h


def test_deeply_nested_config_blob_does_not_break_the_push(alice):
    registry, name, headers = alice
    body = image_manifest(registry, name, headers, config=b"[" * 100_000)

    status, _, _ = registry.http.request(
        "PUT",
        f"/v2/{name}/manifests/v1",
        body=body,
        headers={**headers, "Content-Type": OCI_MANIFEST},
    )

    assert status == 201  # the config says no platform, which is all it can say
    manifest = Manifest.objects.get()
    assert (manifest.os, manifest.architecture) == ("", "")


# --- numbers in headers and queries ---


@pytest.mark.parametrize("header", ["bytes=" + "9" * 5000 + "-", "bytes=-" + "9" * 5000])
def test_range_with_thousands_of_digits_is_416(alice, header):
    registry, name, headers = alice
    data = b"0123456789" * 10
    digest = push_blob(registry, name, data, headers)

    status, h, body = registry.http.json(
        "GET", f"/v2/{name}/blobs/{digest}", headers={**headers, "Range": header}
    )

    assert status == 416
    assert h["content-range"] == f"bytes */{len(data)}"
    assert body["errors"][0]["message"] == "requested range not satisfiable"


def test_upload_content_range_with_thousands_of_digits_is_invalid(alice):
    registry, name, headers = alice
    status, h, _ = registry.http.request("POST", f"/v2/{name}/blobs/uploads/", headers=headers)
    assert status == 202

    status, _, body = registry.http.json(
        "PATCH",
        h["location"],
        body=b"abc",
        headers={**headers, "Content-Range": "0-" + "9" * 5000},
    )

    assert status == 400
    assert body["errors"][0]["code"] == "BLOB_UPLOAD_INVALID"
    assert body["errors"][0]["message"] == "invalid Content-Range; expected <start>-<end>"


@pytest.mark.parametrize("path", ["/v2/{name}/tags/list", "/v2/_catalog"])
def test_page_size_with_thousands_of_digits_is_invalid(alice, path):
    registry, name, headers = alice
    push_blob(registry, name, b"x", headers)  # the repository exists

    status, _, body = registry.http.json("GET", path.format(name=name) + "?n=" + "9" * 5000)

    assert status == 400
    assert body["errors"][0]["code"] == "PAGINATION_NUMBER_INVALID"
    assert body["errors"][0]["message"] == "invalid number of results requested"


# --- every other body: DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB); blob uploads: no limit ---


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_token_request_over_the_limit_is_413(registry, chunked):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if not chunked:
        headers["Content-Length"] = str(64 * MiB)
    request = PendingRequest(registry.url, "POST", "/token", headers, chunked=chunked)
    piece = b"a" * (64 * 1024)
    sends = 1 if not chunked else (5 * MiB // 2) // len(piece) + 1  # chunked: just past it
    for _ in range(sends):
        request.send(piece)

    answer = request.answer()

    error = error_of(answer, 413)
    assert error == {
        "code": "SIZE_INVALID",
        "message": "request body too large: Wharf accepts at most 2.5 MiB here",
        "detail": {"limit": 5 * MiB // 2},
    }


def test_chunked_token_request_within_the_limit_is_read(registry):
    form = b"grant_type=password&username=nobody&password=wrong&pad="
    form += b"a" * (5 * MiB // 2 - len(form))  # exactly the limit

    answer = send_whole(
        registry.url,
        "POST",
        "/token",
        {"Content-Type": "application/x-www-form-urlencoded"},
        form,
        chunked=True,
    )

    error = error_of(answer, 401)
    assert error["message"] == "incorrect username, password or access token"


def test_blob_uploads_are_not_limited(alice):
    registry, name, headers = alice
    data = os.urandom(3 * MiB)  # past the 2.5 MiB other bodies may have

    digest = push_blob(registry, name, data, headers)

    status, _, body = registry.http.request("GET", f"/v2/{name}/blobs/{digest}", headers=headers)
    assert status == 200 and body == data
