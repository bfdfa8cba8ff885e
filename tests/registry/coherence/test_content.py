"""Content changes — tags moved or deleted, manifests, blobs, repositories deleted and pushed
again, pull counts — are seen by the very next request to the other web process (see
tests/registry/coherence/conftest.py for how)."""

import json
import os

import pytest

from hub.models import Repository
from hub.pulls import pull_counts_flush
from tests.registry.coherence.helpers import (
    WARM,
    api,
    code,
    each,
    new_image,
    new_index,
    push,
    push_blob,
    sha,
    warm,
)
from tests.registry.conftest import basic

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_moved_tag_is_served_by_the_other_process_at_once(ab, pushed):
    old, new = pushed.image, new_image()
    tag, by_old, by_new = pushed.path(), pushed.path(old.digest), pushed.path(new.digest)
    readers = [pushed.headers, {}]  # the owner; anyone, on a public repository
    assert warm(ab, *each([tag, by_old, by_new], readers)) == {200, 404}  # 404: by_new, not yet

    push(ab.a, pushed.name, "v1", new, pushed.headers)

    for http in (ab.b, ab.a):
        for headers in readers:
            status, h, _ = http.request("HEAD", tag, headers=headers)
            assert (status, h["docker-content-digest"]) == (200, new.digest)
            status, h, body = http.request("GET", tag, headers=headers)
            assert (status, h["docker-content-digest"], body) == (200, new.digest, new.body)
            assert http.request("GET", by_new, headers=headers)[2] == new.body
            assert http.request("GET", by_old, headers=headers)[2] == old.body  # only untagged
    assert warm(ab, *each([tag], readers)) == {200}

    # `docker tag` through the REST API moves it back.
    data = {"name": "v1", "from": old.digest}
    assert api(ab, "POST", f"repositories/{pushed.name}/tags/", pushed.pat, data) == 201

    for http in (ab.b, ab.a):
        for headers in readers:
            _, h, _ = http.request("HEAD", tag, headers=headers)
            assert h["docker-content-digest"] == old.digest
            assert http.request("GET", tag, headers=headers)[2] == old.body


def test_deleted_tags_and_manifests_are_gone_from_the_other_process_at_once(ab, pushed):
    v2 = new_image()
    push(ab.a, pushed.name, "v2", v2, pushed.headers)
    push(ab.a, pushed.name, "v3", v2, pushed.headers)
    v1, v3, by_digest = pushed.path(), pushed.path("v3"), pushed.path(pushed.image.digest)
    tags, readers = f"/v2/{pushed.name}/tags/list", [pushed.headers, {}]
    assert warm(ab, *each([v1, v3, by_digest], readers), *each([tags], readers, ["GET"])) == {200}

    assert api(ab, "DELETE", f"repositories/{pushed.name}/tags/v1/", pushed.pat) == 204
    assert ab.a.request("DELETE", v3, headers=pushed.headers)[0] == 202  # by tag, over /v2/

    for http in (ab.b, ab.a):
        for headers in readers:
            for path in (v1, v3):
                status, _, body = http.request("GET", path, headers=headers)
                assert (status, code(body)) == (404, "MANIFEST_UNKNOWN")
                assert http.request("HEAD", path, headers=headers)[0] == 404
            assert json.loads(http.request("GET", tags, headers=headers)[2])["tags"] == ["v2"]
            assert http.request("GET", by_digest, headers=headers)[2] == pushed.image.body
            assert http.request("GET", pushed.path("v2"), headers=headers)[2] == v2.body
    assert warm(ab, *each([by_digest], readers)) == {200}

    assert ab.a.request("DELETE", by_digest, headers=pushed.headers)[0] == 202

    for http in (ab.b, ab.a):
        for headers in readers:
            status, _, body = http.request("GET", by_digest, headers=headers)
            assert (status, code(body)) == (404, "MANIFEST_UNKNOWN")
            assert http.request("HEAD", by_digest, headers=headers)[0] == 404


def test_a_repository_deleted_and_pushed_again_is_the_new_one_at_once(ab, pushed):
    readers, paths = [pushed.headers, {}], (pushed.path(), pushed.blob)
    assert warm(ab, *each(paths, readers)) == {200}

    assert api(ab, "DELETE", f"repositories/{pushed.name}/", pushed.pat) == 204

    for http in (ab.b, ab.a):
        for headers in readers:
            for path in paths:
                assert http.request("GET", path, headers=headers)[0] in (401, 404), path
    new = new_image()
    push(ab.a, pushed.name, "v1", new, pushed.headers)

    for http in (ab.b, ab.a):
        for headers in readers:
            assert http.request("GET", pushed.path(), headers=headers)[2] == new.body
            assert http.request("GET", pushed.path(pushed.image.digest), headers=headers)[0] == 404
            assert http.request("GET", pushed.blob, headers=headers)[0] == 404


def test_pulls_served_by_both_processes_are_each_counted_once(ab, pushed):
    child = new_image()
    push(ab.a, pushed.name, child.digest, child, pushed.headers)
    by_child = pushed.path(child.digest)
    assert warm(ab, ("GET", by_child, pushed.headers)) == {200}  # pulls: no index lists it yet
    index = new_index(child)
    push(ab.a, pushed.name, "multi", index, pushed.headers)
    pulls = [(ab.a, "multi", pushed.headers), (ab.b, "multi", pushed.headers), (ab.b, "multi", {}),
             (ab.a, index.digest, {}), (ab.b, index.digest, pushed.headers), (ab.b, "v1", {}),
             (ab.a, "v1", pushed.headers), (ab.b, "v1", pushed.headers)]  # fmt: skip
    for http, reference, headers in pulls:
        assert http.request("GET", pushed.path(reference), headers=headers)[0] == 200
        # The rest of a client's pull: HEADs, and the platform's manifest by digest, are not more.
        for other in ab:
            assert other.request("HEAD", pushed.path(reference), headers=headers)[0] == 200
            assert other.request("GET", by_child, headers=headers)[0] == 200

    pull_counts_flush()  # what the worker's beat does every WHARF_PULL_FLUSH_SECONDS

    expected = len(pulls) + 2 * WARM
    counted = Repository.objects.filter(namespace__name=pushed.owner.username, name="app")
    assert counted.values_list("pull_count", flat=True).get() == expected
    status, _, body = ab.b.json("GET", f"/api/v2/repositories/{pushed.name}/")
    assert (status, body["pull_count"]) == (200, expected)


def test_a_blob_is_served_and_deleted_by_the_other_process_at_once(ab, pushed):
    scope = f"repository:{pushed.name}:pull"
    puller = ab.a.bearer(scope, auth=basic(pushed.owner.username, pushed.pat))
    data = os.urandom(2048)
    blobs = {data: f"/v2/{pushed.name}/blobs/{sha(data)}", pushed.image.layer: pushed.blob}
    requests = each(blobs.values(), [puller, {}])
    assert warm(ab, *requests) == {200, 404}  # 404: data, not pushed yet

    push_blob(ab.a, pushed.name, data, pushed.headers)

    for http in (ab.b, ab.a):
        for blob, path in blobs.items():
            for headers in (puller, {}):
                assert http.request("HEAD", path, headers=headers)[0] == 200
                assert http.request("GET", path, headers=headers)[2] == blob
    assert warm(ab, *requests) == {200}

    for path in blobs.values():
        assert ab.a.request("DELETE", path, headers=pushed.headers)[0] == 202

    for http in (ab.b, ab.a):
        for method, path, headers in requests:
            status, _, body = http.request(method, path, headers=headers)
            assert status == 404, (method, path)
            assert method == "HEAD" or code(body) == "BLOB_UNKNOWN"
