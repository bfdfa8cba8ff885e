"""The registry's HTTP API as the spec describes it, over a real socket."""

import hashlib
import json
import os
import socket

import pytest

from hub.models import Blob, Repository, Upload
from hub.pulls import pull_counts_flush
from hub.registry.storage import get_store
from tests.factories import UserFactory, make_token
from tests.registry.conftest import basic
from tests.s3 import upload_leftovers

pytestmark = pytest.mark.integration


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def push_blob(http, name: str, data: bytes, headers: dict) -> str:
    digest = sha(data)
    status, h, _ = http.request(
        "POST",
        f"/v2/{name}/blobs/uploads/?digest={digest}",
        body=data,
        headers={**headers, "Content-Type": "application/octet-stream"},
    )
    assert status == 201, h
    return digest


def push_image(http, name: str, tag: str, headers: dict, *, subject=None, artifact_type=None):
    config = json.dumps({"architecture": "amd64", "os": "linux"}).encode()
    layer = os.urandom(2048)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": push_blob(http, name, config, headers),
            "size": len(config),
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": push_blob(http, name, layer, headers),
                "size": len(layer),
            }
        ],
    }
    if artifact_type:
        manifest["artifactType"] = artifact_type
        manifest["config"] = {
            "mediaType": "application/vnd.oci.empty.v1+json",
            "digest": push_blob(http, name, b"{}", headers),
            "size": 2,
        }
    if subject:
        manifest["subject"] = subject
    body = json.dumps(manifest).encode()
    status, h, _ = http.request(
        "PUT",
        f"/v2/{name}/manifests/{tag}",
        body=body,
        headers={**headers, "Content-Type": manifest["mediaType"]},
    )
    assert status == 201, h
    return (
        {
            "mediaType": manifest["mediaType"],
            "digest": h["docker-content-digest"],
            "size": len(body),
        },
        h,
        layer,
    )


@pytest.fixture
def alice(registry, owner):
    user, raw = owner
    name = f"{user.username}/app"
    headers = registry.http.bearer(
        f"repository:{name}:pull,push,delete", auth=basic(user.username, raw)
    )
    return registry.http, name, headers, user


def test_probe_challenges_then_accepts_a_token(registry, owner):
    user, raw = owner
    status, headers, body = registry.http.json("GET", "/v2/")
    assert status == 401
    assert headers["docker-distribution-api-version"] == "registry/2.0"
    assert headers["www-authenticate"] == (
        f'Bearer realm="{registry.url}/token",service="{registry.host}"'
    )
    assert body["errors"][0]["code"] == "UNAUTHORIZED"
    token_headers = registry.http.bearer(auth=basic(user.username, raw))
    assert registry.http.request("GET", "/v2/", headers=token_headers)[0] == 200


def test_artifact_with_subject_is_listed_by_referrers(alice):
    http, name, headers, _ = alice
    image, _, _ = push_image(http, name, "v1", headers)
    sbom, h, _ = push_image(
        http, name, "sbom", headers, subject=image, artifact_type="application/spdx+json"
    )
    assert h["oci-subject"] == image["digest"]
    push_image(http, name, "sig", headers, subject=image, artifact_type="application/x.sig")

    status, h, index = http.json("GET", f"/v2/{name}/referrers/{image['digest']}", headers=headers)
    assert status == 200 and h["content-type"] == "application/vnd.oci.image.index.v1+json"
    assert sorted(m["artifactType"] for m in index["manifests"]) == [
        "application/spdx+json",
        "application/x.sig",
    ]
    status, h, filtered = http.json(
        "GET",
        f"/v2/{name}/referrers/{image['digest']}?artifactType=application/spdx%2Bjson",
        headers=headers,
    )
    assert [m["digest"] for m in filtered["manifests"]] == [sbom["digest"]]
    assert h["oci-filters-applied"] == "artifactType"
    _, _, none = http.json("GET", f"/v2/{name}/referrers/{sbom['digest']}", headers=headers)
    assert none["manifests"] == []


def test_cross_repository_mount_links_without_copying(alice):
    http, name, headers, user = alice
    _, _, layer = push_image(http, name, "v1", headers)
    target = f"{user.username}/other"
    target_headers = http.bearer(
        f"repository:{target}:pull,push",
        f"repository:{name}:pull",
        auth=basic(user.username, _raw(user)),
    )

    status, h, _ = http.request(
        "POST",
        f"/v2/{target}/blobs/uploads/?mount={sha(layer)}&from={name}",
        headers=target_headers,
    )

    assert status == 201
    assert h["location"] == f"/v2/{target}/blobs/{sha(layer)}"
    assert h["docker-content-digest"] == sha(layer)
    assert Blob.objects.filter(digest=sha(layer)).count() == 1
    assert (
        http.request("HEAD", f"/v2/{target}/blobs/{sha(layer)}", headers=target_headers)[0] == 200
    )


def _raw(user):
    _, raw = make_token(user, scope="read_write_delete", description=f"t{os.urandom(4).hex()}")
    return raw


def test_mount_from_a_repository_you_cannot_read_starts_an_upload_instead(alice, registry):
    http, name, headers, _ = alice
    _, _, layer = push_image(http, name, "v1", headers)
    Repository.objects.filter(name="app").update(is_private=True)
    mallory = UserFactory()
    mallory_headers = http.bearer(
        f"repository:{mallory.username}/x:pull,push", auth=basic(mallory.username, _raw(mallory))
    )

    status, h, _ = http.request(
        "POST",
        f"/v2/{mallory.username}/x/blobs/uploads/?mount={sha(layer)}&from={name}",
        headers=mallory_headers,
    )
    assert status == 202
    assert "/blobs/uploads/" in h["location"]


def test_chunked_upload_resumes_after_a_dropped_connection(alice):
    http, name, headers, _ = alice
    data = os.urandom(300_000)
    status, h, _ = http.request("POST", f"/v2/{name}/blobs/uploads/", headers=headers)
    assert status == 202 and h["range"] == "0-0"
    location = h["location"]

    status, h, _ = http.request(
        "PATCH",
        location,
        body=data[:100_000],
        headers={**headers, "Content-Range": "0-99999", "Content-Type": "application/octet-stream"},
    )
    assert status == 202 and h["range"] == "0-99999"

    # The next chunk's connection drops halfway: the client dies mid-body.
    sock = socket.create_connection((http.host, http.port))
    head = (
        f"PATCH {location} HTTP/1.1\r\nHost: {http.host}\r\n"
        f"Authorization: {headers['Authorization']}\r\nContent-Range: 100000-299999\r\n"
        "Content-Length: 200000\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    sock.sendall(head.encode() + data[100_000:150_000])
    sock.close()

    status, h, _ = http.request("GET", location, headers=headers)
    assert status == 204 and h["range"] == "0-99999"  # the half chunk did not count

    status, h, _ = http.request(
        "PATCH",
        location,
        body=data[150_000:],
        headers={**headers, "Content-Range": "150000-299999"},
    )
    assert status == 416  # not where the upload stands
    assert h["range"] == "0-99999"

    status, h, _ = http.request(
        "PATCH",
        location,
        body=data[100_000:],
        headers={**headers, "Content-Range": "100000-299999"},
    )
    assert status == 202 and h["range"] == "0-299999"
    status, h, _ = http.request("PUT", f"{location}?digest={sha(data)}", headers=headers)
    assert status == 201 and h["docker-content-digest"] == sha(data)
    assert get_store().read(sha(data)) == data


def test_wrong_digest_is_rejected_and_nothing_is_stored(alice):
    http, name, headers, _ = alice
    data = os.urandom(5000)
    wrong = sha(b"something else")
    status, _, body = http.json(
        "POST", f"/v2/{name}/blobs/uploads/?digest={wrong}", body=data, headers=headers
    )
    assert status == 400
    assert body["errors"][0]["code"] == "DIGEST_INVALID"
    assert body["errors"][0]["detail"]["actual"] == sha(data)
    assert not Blob.objects.exists()
    assert not Upload.objects.exists()
    assert upload_leftovers() == []
    assert not get_store().exists(wrong) and not get_store().exists(sha(data))


def test_blob_range_requests(alice):
    http, name, headers, _ = alice
    data = bytes(range(256)) * 40
    digest = push_blob(http, name, data, headers)
    status, h, body = http.request(
        "GET", f"/v2/{name}/blobs/{digest}", headers={**headers, "Range": "bytes=10-19"}
    )
    assert status == 206 and body == data[10:20]
    assert h["content-range"] == f"bytes 10-19/{len(data)}"
    status, h, body = http.request("GET", f"/v2/{name}/blobs/{digest}", headers=headers)
    assert status == 200 and body == data and h["docker-content-digest"] == digest
    status, _, _ = http.request(
        "GET", f"/v2/{name}/blobs/{digest}", headers={**headers, "Range": f"bytes={len(data)}-"}
    )
    assert status == 416


def test_identical_layers_in_two_repositories_are_stored_once(alice):
    http, name, headers, user = alice
    data = os.urandom(4096)
    push_blob(http, name, data, headers)
    other = f"{user.username}/second"
    other_headers = http.bearer(
        f"repository:{other}:pull,push", auth=basic(user.username, _raw(user))
    )
    push_blob(http, other, data, other_headers)
    assert Blob.objects.filter(digest=sha(data)).count() == 1
    assert Blob.objects.get(digest=sha(data)).repository_links.count() == 2


def test_a_pull_counts_once(alice):
    http, name, headers, _ = alice
    push_image(http, name, "v1", headers)
    http.request("HEAD", f"/v2/{name}/manifests/v1", headers=headers)
    http.request("GET", f"/v2/{name}/manifests/v1", headers=headers)
    # Counted in Redis, added to the row by the worker's flush (hub/pulls.py).
    assert pull_counts_flush() == 1
    assert Repository.objects.get(name="app").pull_count == 1
    assert pull_counts_flush() == 0


def test_tags_list_and_catalog_paginate_with_link(alice):
    http, name, headers, user = alice
    for tag in ("c", "a", "b"):
        push_image(http, name, tag, headers)
    status, h, body = http.json("GET", f"/v2/{name}/tags/list?n=2", headers=headers)
    assert body == {"name": name, "tags": ["a", "b"]}
    assert h["link"] == f'</v2/{name}/tags/list?n=2&last=b>; rel="next"'
    _, h, body = http.json("GET", f"/v2/{name}/tags/list?n=2&last=b", headers=headers)
    assert body["tags"] == ["c"] and "link" not in h

    _, _, catalog = http.json("GET", "/v2/_catalog", headers=http.bearer("registry:catalog:*"))
    assert catalog["repositories"] == [name]


def test_delete_tag_then_manifest(alice):
    http, name, headers, _ = alice
    image, _, _ = push_image(http, name, "v1", headers)
    push_image(http, name, "v2", headers)
    assert http.request("DELETE", f"/v2/{name}/manifests/v1", headers=headers)[0] == 202
    assert http.request("GET", f"/v2/{name}/manifests/v1", headers=headers)[0] == 404
    # The manifest itself survives its tag, until deleted by digest.
    assert http.request("GET", f"/v2/{name}/manifests/{image['digest']}", headers=headers)[0] == 200
    assert (
        http.request("DELETE", f"/v2/{name}/manifests/{image['digest']}", headers=headers)[0] == 202
    )
    assert http.request("GET", f"/v2/{name}/manifests/{image['digest']}", headers=headers)[0] == 404


def test_private_repository_is_invisible_to_anonymous_and_other_users(alice, registry):
    http, name, headers, user = alice
    image, _, layer = push_image(http, name, "v1", headers)
    Repository.objects.filter(name="app").update(is_private=True, description="secret stuff")
    other = UserFactory()
    other_raw = _raw(other)
    anon = http.bearer(f"repository:{name}:pull")
    stranger = http.bearer(f"repository:{name}:pull", auth=basic(other.username, other_raw))
    paths = [
        f"/v2/{name}/manifests/v1",
        f"/v2/{name}/manifests/{image['digest']}",
        f"/v2/{name}/blobs/{sha(layer)}",
        f"/v2/{name}/tags/list",
        f"/v2/{name}/referrers/{image['digest']}",
    ]
    for path in paths:
        status, _, body = http.request("GET", path, headers=anon)
        assert status == 401, path
        assert b"secret" not in body and sha(layer).encode() not in body
        status, _, body = http.request("GET", path, headers=stranger)
        assert status == 404, path
        assert json.loads(body)["errors"][0]["code"] == "NAME_UNKNOWN"
    for auth in ({}, {"Authorization": basic(other.username, other_raw)}):
        _, _, catalog = http.json("GET", "/v2/_catalog", headers=auth)
        assert catalog["repositories"] == []
        _, _, found = http.json("GET", "/v1/search?q=app", headers=auth)
        assert found["results"] == [] and found["num_results"] == 0
    # The owner still sees it everywhere.
    _, _, mine = http.json(
        "GET", "/v1/search?q=app", headers={"Authorization": basic(user.username, _raw(user))}
    )
    assert [r["name"] for r in mine["results"]] == [name]


def test_v1_search_shows_official_images_by_short_name(registry, transactional_db):
    from hub.services import repository_get_or_create

    repo = repository_get_or_create(namespace="library", name="busybox")
    Repository.objects.filter(pk=repo.pk).update(description="Tiny shell", star_count=3)
    assert registry.http.request("GET", "/v1/_ping")[1]["x-docker-registry-standalone"] == "true"
    _, _, body = registry.http.json("GET", "/v1/search?q=busy&n=10")
    assert body["query"] == "busy" and body["page_size"] == 10 and body["num_pages"] == 1
    assert body["results"] == [
        {
            "name": "busybox",
            "description": "Tiny shell",
            "star_count": 3,
            "is_official": True,
            "is_automated": False,
            "pull_count": 0,
            "is_private": False,
        }
    ]
