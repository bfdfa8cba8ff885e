"""Every spec error code, produced the way a client would run into it, with its JSON."""

import hashlib
import json

import pytest

from hub.registry import errors
from tests.factories import UserFactory, make_token
from tests.registry.conftest import basic

pytestmark = pytest.mark.django_db


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.fixture
def alice(client, settings):
    settings.WHARF_URL = "http://testserver"
    user = UserFactory(username="alice")
    _, raw = make_token(user, scope="read_write_delete")
    token = client.get(
        "/token?service=testserver&scope=repository:alice/app:pull,push,delete",
        HTTP_AUTHORIZATION=basic("alice", raw),
    ).json()["token"]
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}, raw


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Docker-Distribution-API-Version"] == "registry/2.0"
    body = json.loads(response.content)
    assert set(body) == {"errors"} and set(body["errors"][0]) == {"code", "message", "detail"}
    return body["errors"][0]


def push_blob(client, auth, data: bytes) -> str:
    response = client.post(
        f"/v2/alice/app/blobs/uploads/?digest={sha(data)}",
        data=data,
        content_type="application/octet-stream",
        **auth,
    )
    assert response.status_code == 201
    return sha(data)


def test_blob_unknown(client, alice):
    auth, _ = alice
    push_blob(client, auth, b"x")  # the repository exists
    assert client.head(f"/v2/alice/app/blobs/{sha(b'nothing')}", **auth).status_code == 404
    response = client.get(f"/v2/alice/app/blobs/{sha(b'nothing')}", **auth)
    assert error_of(response, 404)["code"] == "BLOB_UNKNOWN"


def test_blob_upload_invalid_without_digest_on_put(client, alice):
    auth, _ = alice
    location = client.post("/v2/alice/app/blobs/uploads/", **auth)["Location"]
    error = error_of(client.put(location, **auth), 400)
    assert error["code"] == "BLOB_UPLOAD_INVALID"
    assert error["message"] == "PUT must name the blob's ?digest="


def test_blob_upload_invalid_content_range(client, alice):
    auth, _ = alice
    location = client.post("/v2/alice/app/blobs/uploads/", **auth)["Location"]
    response = client.patch(
        location,
        data=b"abc",
        content_type="application/octet-stream",
        HTTP_CONTENT_RANGE="banana",
        **auth,
    )
    assert error_of(response, 400)["code"] == "BLOB_UPLOAD_INVALID"


def test_out_of_order_chunk_is_416(client, alice):
    auth, _ = alice
    location = client.post("/v2/alice/app/blobs/uploads/", **auth)["Location"]
    response = client.patch(
        location,
        data=b"abc",
        content_type="application/octet-stream",
        HTTP_CONTENT_RANGE="5-7",
        **auth,
    )
    assert response.status_code == 416
    assert response["Range"] == "0-0" and response["Location"] == location


def test_blob_upload_unknown(client, alice):
    auth, _ = alice
    push_blob(client, auth, b"x")
    response = client.get(
        "/v2/alice/app/blobs/uploads/00000000-0000-0000-0000-000000000000", **auth
    )
    assert error_of(response, 404)["code"] == "BLOB_UPLOAD_UNKNOWN"


def test_cancelled_upload_is_unknown_afterwards(client, alice):
    auth, _ = alice
    location = client.post("/v2/alice/app/blobs/uploads/", **auth)["Location"]
    assert client.delete(location, **auth).status_code == 204
    assert error_of(client.get(location, **auth), 404)["code"] == "BLOB_UPLOAD_UNKNOWN"


@pytest.mark.parametrize("digest", ["sha256:abc", "md5:0123", "sha256:" + "G" * 64])
def test_digest_invalid(client, alice, digest):
    auth, _ = alice
    response = client.post(
        f"/v2/alice/app/blobs/uploads/?digest={digest}",
        data=b"x",
        content_type="application/octet-stream",
        **auth,
    )
    assert error_of(response, 400)["code"] == "DIGEST_INVALID"


def test_sha512_digests_are_accepted(client, alice):
    auth, _ = alice
    digest = "sha512:" + hashlib.sha512(b"hello").hexdigest()
    response = client.post(
        f"/v2/alice/app/blobs/uploads/?digest={digest}",
        data=b"hello",
        content_type="application/octet-stream",
        **auth,
    )
    assert response.status_code == 201
    assert client.head(f"/v2/alice/app/blobs/{digest}", **auth)["Content-Length"] == "5"


def manifest_with(config_digest: str, size: int = 2) -> bytes:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest,
                "size": size,
            },
            "layers": [],
        }
    ).encode()


def put_manifest(client, auth, body: bytes, ref="v1", content_type=None):
    return client.put(
        f"/v2/alice/app/manifests/{ref}",
        data=body,
        content_type=content_type or "application/vnd.oci.image.manifest.v1+json",
        **auth,
    )


def test_manifest_blob_unknown(client, alice):
    auth, _ = alice
    error = error_of(put_manifest(client, auth, manifest_with(sha(b"{}"))), 404)
    assert error["code"] == "MANIFEST_BLOB_UNKNOWN"
    assert error["detail"] == {"digest": sha(b"{}")}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "manifest is not valid JSON"),
        (b"[]", "manifest must be a JSON object"),
        (
            json.dumps(
                {
                    "schemaVersion": 1,
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {},
                    "layers": [],
                }
            ).encode(),
            "schemaVersion must be 2",
        ),
        (
            json.dumps({"schemaVersion": 2, "mediaType": "text/plain"}).encode(),
            "Content-Type application/vnd.oci.image.manifest.v1+json does not match",
        ),
    ],
)
def test_manifest_invalid(client, alice, body, message):
    auth, _ = alice
    push_blob(client, auth, b"{}")
    error = error_of(put_manifest(client, auth, body), 400)
    assert error["code"] == "MANIFEST_INVALID"
    assert message in error["message"]


def test_manifest_invalid_tag(client, alice):
    auth, _ = alice
    config = push_blob(client, auth, b"{}")
    error = error_of(put_manifest(client, auth, manifest_with(config), ref="-bad"), 400)
    assert error["code"] == "MANIFEST_INVALID" and "invalid tag" in error["message"]


def test_manifest_put_by_wrong_digest_is_digest_invalid(client, alice):
    auth, _ = alice
    config = push_blob(client, auth, b"{}")
    error = error_of(put_manifest(client, auth, manifest_with(config), ref=sha(b"other")), 400)
    assert error["code"] == "DIGEST_INVALID"


def test_manifest_unknown(client, alice):
    auth, _ = alice
    push_blob(client, auth, b"x")
    assert (
        error_of(client.get("/v2/alice/app/manifests/nope", **auth), 404)["code"]
        == "MANIFEST_UNKNOWN"
    )


def test_name_invalid(client, alice):
    auth, _ = alice
    error = error_of(client.get("/v2/Alice/App/tags/list", **auth), 400)
    assert error["code"] == "NAME_INVALID"


def test_name_unknown(client, alice):
    auth, _ = alice
    assert error_of(client.get("/v2/alice/app/tags/list", **auth), 404)["code"] == "NAME_UNKNOWN"


def test_size_invalid(client, alice):
    auth, _ = alice
    location = client.post("/v2/alice/app/blobs/uploads/", **auth)["Location"]
    response = client.patch(
        location,
        data=b"abcdef",
        content_type="application/octet-stream",
        HTTP_CONTENT_RANGE="0-9",
        **auth,
    )
    assert error_of(response, 400)["code"] == "SIZE_INVALID"


def test_unauthorized_without_a_token(client, alice):
    response = client.post("/v2/alice/app/blobs/uploads/")
    error = error_of(response, 401)
    assert error["code"] == "UNAUTHORIZED"
    assert response["WWW-Authenticate"] == (
        'Bearer realm="http://testserver/token",service="testserver",'
        'scope="repository:alice/app:pull,push"'
    )


def test_denied_for_another_namespace(client, alice):
    auth, raw = alice
    token = client.get(
        "/token?scope=repository:library/app:pull,push", HTTP_AUTHORIZATION=basic("alice", raw)
    ).json()["token"]
    access = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    error = error_of(client.post("/v2/library/app/blobs/uploads/", **access), 403)
    assert error["code"] == "DENIED"
    assert error["message"] == (
        "pushing to the official library namespace is for staff only; "
        "push to your own namespace instead: alice/app"
    )


def test_unsupported_method(client, alice):
    auth, _ = alice
    response = client.patch("/v2/alice/app/manifests/v1", **auth)
    error = error_of(response, 405)
    assert error["code"] == "UNSUPPORTED"
    assert response["Allow"] == "GET, HEAD, PUT, DELETE"


def test_too_many_requests_after_repeated_bad_logins(client, alice, settings):
    settings.WHARF_LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        assert client.get("/token", HTTP_AUTHORIZATION=basic("alice", "wrong")).status_code == 401
    error = error_of(client.get("/token", HTTP_AUTHORIZATION=basic("alice", "wrong")), 429)
    assert error["code"] == "TOOMANYREQUESTS"


def test_every_spec_code_has_a_class():
    codes = {cls.code for cls in errors.ALL_CODES}
    assert codes == {
        "BLOB_UNKNOWN",
        "BLOB_UPLOAD_INVALID",
        "BLOB_UPLOAD_UNKNOWN",
        "DIGEST_INVALID",
        "MANIFEST_BLOB_UNKNOWN",
        "MANIFEST_INVALID",
        "MANIFEST_UNKNOWN",
        "NAME_INVALID",
        "NAME_UNKNOWN",
        "SIZE_INVALID",
        "UNAUTHORIZED",
        "DENIED",
        "UNSUPPORTED",
        "TOOMANYREQUESTS",
    }


def test_staff_push_into_a_namespace_nobody_owns_is_name_unknown(client, settings):
    settings.WHARF_URL = "http://testserver"
    UserFactory(username="boss", is_staff=True)
    from tests.factories import PASSWORD

    response = client.post(
        "/v2/nobody/app/blobs/uploads/", HTTP_AUTHORIZATION=basic("boss", PASSWORD)
    )
    error = error_of(response, 404)
    assert error["code"] == "NAME_UNKNOWN"
    assert "there is no namespace nobody/" in error["message"]
