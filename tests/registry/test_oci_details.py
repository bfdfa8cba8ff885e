"""OCI details clients of referrers and blob mounts rely on (distribution spec 1.1)."""

import os

import pytest

from hub.models import Repository
from hub.services import repository_update
from tests.factories import UserFactory, make_token
from tests.registry.conftest import basic
from tests.registry.test_http import push_blob, push_image, sha

pytestmark = pytest.mark.integration

INDEX = "application/vnd.oci.image.index.v1+json"
DIGEST = "sha256:" + "ab" * 32


def _person(http):
    user = UserFactory()
    _, raw = make_token(user, scope="read_write_delete", description=os.urandom(4).hex())
    return user, raw


def test_referrers_of_a_repository_not_pushed_yet_is_an_empty_index_for_its_pusher(registry):
    http = registry.http
    alice, raw = _person(http)
    name = f"{alice.username}/new"
    push = http.bearer(f"repository:{name}:pull,push", auth=basic(alice.username, raw))
    status, headers, body = http.json("GET", f"/v2/{name}/referrers/{DIGEST}", headers=push)
    assert (status, headers["content-type"]) == (200, INDEX)
    assert body == {"schemaVersion": 2, "mediaType": INDEX, "manifests": []}

    # Pushed, but nothing refers to that digest: empty as well.
    push_image(http, name, "v1", push)
    status, _, body = http.json("GET", f"/v2/{name}/referrers/{DIGEST}", headers=push)
    assert (status, body["manifests"]) == (200, [])

    # Someone else's namespace, where one may not push: not found; a private repository one
    # may not read: refused, whatever exists.
    mallory, mallory_raw = _person(http)
    other = http.bearer(f"repository:{name}:pull,push", auth=basic(mallory.username, mallory_raw))
    repository_update(repository=Repository.objects.get(name="new"), is_private=True)
    assert http.request("GET", f"/v2/{name}/referrers/{DIGEST}", headers=other)[0] == 404
    assert http.request("GET", f"/v2/{name}/referrers/{DIGEST}")[0] == 401
    ghost = f"{alice.username}/ghost"
    mine = http.bearer(f"repository:{ghost}:pull,push", auth=basic(mallory.username, mallory_raw))
    assert http.request("GET", f"/v2/{ghost}/referrers/{DIGEST}", headers=mine)[0] == 404


def test_a_referrer_without_artifact_type_is_listed_with_its_config_media_type(registry):
    http = registry.http
    alice, raw = _person(http)
    name = f"{alice.username}/app"
    push = http.bearer(f"repository:{name}:pull,push", auth=basic(alice.username, raw))
    image, _, _ = push_image(http, name, "v1", push)
    plain, _, _ = push_image(http, name, "plain", push, subject=image)  # no artifactType
    typed, _, _ = push_image(http, name, "sig", push, subject=image, artifact_type="x/sig")

    _, _, body = http.json("GET", f"/v2/{name}/referrers/{image['digest']}", headers=push)
    kinds = {m["digest"]: m["artifactType"] for m in body["manifests"]}
    assert kinds == {
        plain["digest"]: "application/vnd.oci.image.config.v1+json",
        typed["digest"]: "x/sig",
    }
    query = "artifactType=application/vnd.oci.image.config.v1%2Bjson"
    _, _, filtered = http.json(
        "GET", f"/v2/{name}/referrers/{image['digest']}?{query}", headers=push
    )
    assert [m["digest"] for m in filtered["manifests"]] == [plain["digest"]]


def test_a_mount_without_from_takes_the_blob_from_a_repository_the_caller_may_read(registry):
    http = registry.http
    alice, raw = _person(http)
    source = f"{alice.username}/source"
    alice_push = http.bearer(f"repository:{source}:pull,push", auth=basic(alice.username, raw))
    data = os.urandom(3000)
    push_blob(http, source, data, alice_push)

    bob, bob_raw = _person(http)
    target = f"{bob.username}/target"
    bob_push = http.bearer(f"repository:{target}:pull,push", auth=basic(bob.username, bob_raw))
    path = f"/v2/{target}/blobs/uploads/?mount={sha(data)}"
    status, headers, _ = http.request("POST", path, headers=bob_push)
    assert status == 201 and headers["location"] == f"/v2/{target}/blobs/{sha(data)}"
    assert http.request("GET", f"/v2/{target}/blobs/{sha(data)}", headers=bob_push)[2] == data

    # Only in a private repository bob may not read: an ordinary upload, nothing mounted.
    secret = os.urandom(3000)
    private = f"{alice.username}/private"
    alice_private = http.bearer(f"repository:{private}:pull,push", auth=basic(alice.username, raw))
    push_blob(http, private, secret, alice_private)
    repository_update(repository=Repository.objects.get(name="private"), is_private=True)
    status, headers, _ = http.request(
        "POST", f"/v2/{target}/blobs/uploads/?mount={sha(secret)}", headers=bob_push
    )
    assert status == 202 and "/blobs/uploads/" in headers["location"]
    assert http.request("HEAD", f"/v2/{target}/blobs/{sha(secret)}", headers=bob_push)[0] == 404
