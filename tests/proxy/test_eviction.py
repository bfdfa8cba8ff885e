"""Eviction from the pull-through cache: garbage collection drops the cached images nobody pulled
for WHARF_PROXY_RETENTION_DAYS, and frees their blobs in the same run.

Images are cached as clients cache them (skopeo pulling through Wharf's live server from a real
docker-registry upstream); "pulled long ago" is the CachedManifest's pulled_at set back.
"""

import http.client
import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from hub.models import Blob, Manifest, ManifestBlob, Repository, Tag
from hub.registry import mediatypes
from hub.registry.gc import collect_garbage
from hub.registry.storage import get_store
from proxy import cache as proxy_cache
from proxy import routes
from proxy.models import CachedManifest
from proxy.services import upstream_create
from tests.factories import UserFactory, make_token
from tests.hub.conftest import push_image as import_image
from tests.registry.conftest import Clients

pytestmark = pytest.mark.integration

RETENTION = 30
NOW = timedelta(0)  # gc's grace: what eviction unreferenced goes in the same run
LINK_WAIT = 30.0


@pytest.fixture
def registry(asgi_server, settings):
    settings.WHARF_URL = asgi_server.url
    settings.WHARF_PROXY_RETENTION_DAYS = RETENTION
    asgi_server.host = asgi_server.url.removeprefix("http://")
    return asgi_server


@pytest.fixture
def carol(transactional_db):
    return UserFactory(username="carol")


@pytest.fixture
def clients(registry, carol, tmp_path_factory) -> Clients:
    _, raw = make_token(carol, scope="read")
    clients = Clients(tmp_path_factory.mktemp("clients"), registry.host)
    clients.login(carol.username, raw)
    return clients


@pytest.fixture
def cache(upstream, transactional_db):
    return upstream_create(name="local", url=upstream.url, namespace="hubcache")


def pull(clients, ref: str, dest, *, all_images=False) -> None:
    args = ["--all"] if all_images else []
    clients.skopeo(
        "copy", *args, "--src-tls-verify=false", f"docker://{clients.host}/{ref}", f"oci:{dest}:x"
    )


def blob_digests(manifest: Manifest) -> set[str]:
    doc = json.loads(bytes(manifest.content))
    return {doc["config"]["digest"]} | {layer["digest"] for layer in doc["layers"]}


def linked(manifest: Manifest) -> Manifest:
    """The manifest once every blob of it is linked. The client has all the bytes a moment
    before the fill that wrote them links the blob (proxy/blobs.py); a gc in between would take
    the blob as unreferenced, so wait for the links (up to LINK_WAIT seconds)."""
    wanted = blob_digests(manifest)
    deadline = time.monotonic() + LINK_WAIT
    while set(manifest.blobs.values_list("digest", flat=True)) != wanted:
        assert time.monotonic() < deadline, f"the blobs of {manifest.digest} were never linked"
        time.sleep(0.05)
    return manifest


def cached(name: str, tag: str) -> Manifest:
    return (
        Tag.objects.select_related("manifest")
        .get(repository__namespace__name="hubcache", repository__name=name, name=tag)
        .manifest
    )


def pulled_days_ago(days: int, *manifests: Manifest) -> None:
    CachedManifest.objects.filter(manifest__in=manifests).update(
        pulled_at=timezone.now() - timedelta(days=days)
    )


def stored(digests: set[str]) -> set[str]:
    """Which of ``digests`` Wharf still holds, as a row and as a file."""
    store = get_store()
    rows = set(Blob.objects.filter(digest__in=digests).values_list("digest", flat=True))
    return {digest for digest in rows if store.exists(digest)}


def blob_paths(digests: set[str]) -> list[str]:
    return [f"/v2/library/app/blobs/{digest}" for digest in sorted(digests)]


def test_an_image_not_pulled_for_the_retention_period_is_evicted_with_its_blobs(
    upstream, cache, clients, tmp_path
):
    upstream.push_image("library/old", "v1", layers=2)
    upstream.push_image("library/new", "v1", layers=2)
    pull(clients, "hubcache/library/old:v1", tmp_path / "old")
    pull(clients, "hubcache/library/new:v1", tmp_path / "new")
    old = linked(cached("library/old", "v1"))
    new = linked(cached("library/new", "v1"))
    old_blobs, new_blobs = blob_digests(old), blob_digests(new)
    pulled_days_ago(RETENTION + 1, old)
    pulled_days_ago(RETENTION - 1, new)

    report = collect_garbage(grace=NOW)

    assert report.cached_manifests_evicted == 1
    assert report.blobs_deleted == len(old_blobs) == 3
    assert not Manifest.objects.filter(pk=old.pk).exists()
    assert not Tag.objects.filter(repository__name="library/old").exists()
    assert stored(old_blobs) == set()
    # The repository stays, empty: its page says to pull through the cache to fill it.
    assert Repository.objects.filter(namespace__name="hubcache", name="library/old").exists()
    assert cached("library/new", "v1") == new
    assert stored(new_blobs) == new_blobs
    assert ManifestBlob.objects.filter(manifest=new).count() == 3


def test_the_next_pull_of_an_evicted_image_fetches_it_from_upstream_again(
    upstream, cache, clients, tmp_path
):
    digest = upstream.push_image("library/app", "v1", layers=1)
    pull(clients, "hubcache/library/app:v1", tmp_path / "a")
    manifest = linked(cached("library/app", "v1"))
    blobs = blob_digests(manifest)
    manifest_path = "/v2/library/app/manifests/v1"
    fetched = {path: upstream.count("GET", path) for path in blob_paths(blobs)}
    assert set(fetched.values()) == {1}
    assert upstream.count("GET", manifest_path) == 1

    pulled_days_ago(RETENTION + 1, manifest)
    assert collect_garbage(grace=NOW).cached_manifests_evicted == 1
    assert stored(blobs) == set()

    pull(clients, "hubcache/library/app:v1", tmp_path / "b")
    assert upstream.count("GET", manifest_path) == 2
    assert {path: upstream.count("GET", path) for path in fetched} == dict.fromkeys(fetched, 2)
    again = linked(cached("library/app", "v1"))
    assert again.digest == digest
    assert stored(blobs) == blobs
    assert CachedManifest.objects.get(manifest=again).pulled_at > timezone.now() - timedelta(
        minutes=5
    )


def test_platform_manifests_stay_while_their_index_is_pulled(upstream, cache, clients, tmp_path):
    upstream.push_index("library/multi", "1")
    pull(clients, "hubcache/library/multi:1", tmp_path / "m", all_images=True)
    index = cached("library/multi", "1")
    children = [linked(child.child) for child in index.children.select_related("child")]
    assert len(children) == 2
    blobs = set().union(*(blob_digests(child) for child in children))

    pulled_days_ago(RETENTION + 1, *children)  # nobody asked for one platform by itself...
    report = collect_garbage(grace=NOW)  # ...but the index was pulled: all of it stays
    assert report.cached_manifests_evicted == 0
    assert report.blobs_deleted == 0
    assert Manifest.objects.filter(pk__in=[c.pk for c in children]).count() == 2
    assert stored(blobs) == blobs

    pulled_days_ago(RETENTION + 1, index)
    report = collect_garbage(grace=NOW)
    assert report.cached_manifests_evicted == 3  # the index with its two platforms
    assert not Manifest.objects.filter(repository__name="library/multi").exists()
    assert report.blobs_deleted == len(blobs)
    assert stored(blobs) == set()


def upstream_manifest(upstream, repo: str, reference: str, doc: dict | None = None) -> bytes:
    """GET a manifest from the upstream, or PUT ``doc`` there as ``reference``: its bytes."""
    conn = http.client.HTTPConnection("127.0.0.1", upstream.port, timeout=30)
    path = f"/v2/{repo}/manifests/{reference}"
    if doc is None:
        conn.request("GET", path, headers={"Accept": mediatypes.OCI_INDEX})
    else:
        body = json.dumps(doc).encode()
        conn.request("PUT", path, body=body, headers={"Content-Type": doc["mediaType"]})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    assert response.status in (200, 201), (response.status, data)
    return data if doc is None else body


def test_an_index_listed_by_a_recently_pulled_index_stays_with_its_platforms(upstream, cache):
    """An index may list indexes: the inner one, though not pulled for long, stays while the
    outer one is pulled, and its platforms with it (gc must not trip over the links)."""
    inner = upstream.push_index("library/multi", "1")
    inner_body = upstream_manifest(upstream, "library/multi", inner)
    outer_doc = {
        "schemaVersion": 2,
        "mediaType": mediatypes.OCI_INDEX,
        "manifests": [
            {"mediaType": mediatypes.OCI_INDEX, "digest": inner, "size": len(inner_body)}
        ],
    }
    upstream_manifest(upstream, "library/multi", "outer", outer_doc)
    route = routes.route_for("hubcache/library/multi")
    # What a client walking the tree asks for: the tag, then each listed manifest by digest.
    _, outer = proxy_cache.manifest_get(route=route, reference="outer")
    _, inner_index = proxy_cache.manifest_get(route=route, reference=inner)
    platforms = [
        proxy_cache.manifest_get(route=route, reference=entry["digest"])[1]
        for entry in json.loads(inner_body)["manifests"]
    ]
    assert [c.child for c in outer.children.all()] == [inner_index]
    assert inner_index.children.count() == 2
    pulled_days_ago(RETENTION + 1, inner_index, *platforms)

    assert collect_garbage(grace=NOW).cached_manifests_evicted == 0
    assert Manifest.objects.filter(repository__name="library/multi").count() == 4

    pulled_days_ago(RETENTION + 1, outer)
    assert collect_garbage(grace=NOW).cached_manifests_evicted == 4
    assert not Manifest.objects.filter(repository__name="library/multi").exists()


def test_a_pushed_repository_is_never_evicted_however_old(
    upstream, cache, clients, carol, tmp_path
):
    import_image("carol/tool:v1")
    pushed = Manifest.objects.get(repository__name="tool", tags__name="v1")
    long_ago = timezone.now() - timedelta(days=10 * RETENTION)
    Manifest.objects.filter(pk=pushed.pk).update(created_at=long_ago)
    Tag.objects.filter(manifest=pushed).update(updated_at=long_ago)
    # Even with a pull record (only a cached manifest gets one), it is not the cache's to evict.
    CachedManifest.objects.create(manifest=pushed, pulled_at=long_ago)
    pushed_blobs = blob_digests(pushed)
    upstream.push_image("library/old", "v1", layers=1)
    pull(clients, "hubcache/library/old:v1", tmp_path / "old")
    old = linked(cached("library/old", "v1"))
    pulled_days_ago(RETENTION + 1, old)

    report = collect_garbage(grace=NOW)

    assert report.cached_manifests_evicted == 1  # the cached one went...
    assert not Manifest.objects.filter(pk=old.pk).exists()
    assert Tag.objects.get(repository__name="tool", name="v1").manifest == pushed  # ...not this
    assert stored(pushed_blobs) == pushed_blobs


def test_a_dry_run_evicts_nothing(upstream, cache, clients, tmp_path):
    upstream.push_image("library/old", "v1", layers=2)
    pull(clients, "hubcache/library/old:v1", tmp_path / "old")
    old = linked(cached("library/old", "v1"))
    blobs = blob_digests(old)
    pulled_days_ago(RETENTION + 1, old)

    report = collect_garbage(grace=NOW, dry_run=True)

    assert report.cached_manifests_evicted == 1  # what a real run would evict
    assert cached("library/old", "v1") == old
    assert ManifestBlob.objects.filter(manifest=old).count() == 3
    assert stored(blobs) == blobs
    assert CachedManifest.objects.get(manifest=old).pulled_at < timezone.now() - timedelta(
        days=RETENTION
    )


def test_a_retention_of_zero_days_evicts_nothing(upstream, cache, clients, tmp_path, settings):
    settings.WHARF_PROXY_RETENTION_DAYS = 0
    upstream.push_image("library/old", "v1", layers=1)
    pull(clients, "hubcache/library/old:v1", tmp_path / "old")
    old = linked(cached("library/old", "v1"))
    blobs = blob_digests(old)
    pulled_days_ago(10 * 365, old)

    report = collect_garbage(grace=NOW)

    assert report.cached_manifests_evicted == 0
    assert report.blobs_deleted == 0
    assert cached("library/old", "v1") == old
    assert stored(blobs) == blobs
