"""A blob whose fetch from upstream goes wrong never reaches a client whole, nor the cache.

The upstream is the test docker-registry behind tests/proxy/ratelimited.py, which can send a
blob slowly, with a byte changed halfway (its digest no longer matches) or cut off halfway. A
client reading through Wharf meanwhile gets a short body — it sees the error and retries —
never the whole length of wrong bytes; the blob is not stored; and the next request, the
upstream mended, fetches it anew. Readers in the web process that runs the fill are woken by it
(proxy/progress.py); readers in another process follow it through Redis: both are tried.
"""

import hashlib
import http.client
import json
import threading
from urllib.parse import urlsplit

import pytest

from hub.models import Blob
from hub.registry.storage import get_store
from proxy.services import upstream_create
from tests.factories import UserFactory, make_token
from tests.proxy.test_pull_through import wait_for
from tests.registry.conftest import Http, basic
from tests.registry.processes import web_processes

pytestmark = pytest.mark.integration

NAME = "hubcache/library/app"
LAYER = 4 * 1024 * 1024


@pytest.fixture
def puller(transactional_db):
    user = UserFactory(username="carol")
    _, raw = make_token(user, scope="read")
    return basic(user.username, raw)


@pytest.fixture
def layer(registry, upstream, limiter, puller) -> tuple[str, int]:
    """(digest, size) of the image's layer upstream; Wharf has its manifest, not the layer."""
    upstream.push_image("library/app", "v1", layers=1, layer_size=LAYER)
    upstream_create(name="local", url=limiter.url, namespace="hubcache")
    headers = {
        **registry.http.bearer(f"repository:{NAME}:pull", auth=puller),
        "Accept": "application/vnd.oci.image.manifest.v1+json",
    }
    status, _, body = registry.http.request("GET", f"/v2/{NAME}/manifests/v1", headers=headers)
    assert status == 200, body
    descriptor = json.loads(body)["layers"][0]
    return descriptor["digest"], descriptor["size"]


def read_blob(url: str, auth: str, digest: str) -> tuple[int, bytes]:
    """A blob GET through Wharf at ``url``: its Content-Length and the bytes that came (fewer
    when the body was cut short)."""
    token = Http(url).token(f"repository:{NAME}:pull", auth=auth)
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    conn.request("GET", f"/v2/{NAME}/blobs/{digest}", headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    assert response.status == 200
    length = int(response.getheader("Content-Length"))
    try:
        body = response.read()
    except http.client.IncompleteRead as short:
        body = short.partial
    conn.close()
    return length, body


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("fault", ["corrupt", "break"])
def test_a_bad_fetch_cuts_the_reader_off_and_stores_nothing(
    registry, limiter, puller, layer, fault
):
    digest, size = layer
    limiter.blobs = {fault, "slow"}  # the client is reading when it goes wrong
    length, body = read_blob(registry.url, puller, digest)
    assert length == size
    assert len(body) < size  # the client knows it did not get the blob
    assert not Blob.objects.filter(digest=digest).exists()
    assert not get_store().exists(digest)

    limiter.blobs = set()  # mended: the next request fetches it anew, whole
    length, body = read_blob(registry.url, puller, digest)
    assert (length, len(body), _sha(body)) == (size, size, digest)
    # The end went out once checked; the fill stores it right after.
    assert wait_for(lambda: Blob.objects.filter(digest=digest).exists())


@pytest.mark.filesystem_only  # the other process shares the blob directory with this one
@pytest.mark.parametrize("fault", ["", "corrupt"])
def test_a_reader_in_another_process_follows_the_fill(
    registry, limiter, puller, layer, fault, settings, tmp_path
):
    """The fill runs in the test's server (its first reader there); a second reader asks
    another web process on the same database, Redis and blobs while the bytes trickle in."""
    digest, size = layer
    assert settings.WHARF_REGISTRY_DIR == tmp_path / "registry"  # the other one's too, then
    env = {"WHARF_REDIS_PREFIX": settings.WHARF_REDIS_PREFIX}  # one fill record for both
    limiter.blobs = {"slow", fault} - {""}
    with web_processes(tmp_path, 1, extra_env=env) as other:
        results = {}
        first = threading.Thread(
            target=lambda: results.__setitem__("here", read_blob(registry.url, puller, digest))
        )
        first.start()
        results["there"] = read_blob(other.url, puller, digest)
        first.join(timeout=120)
    for where in ("here", "there"):
        length, body = results[where]
        assert length == size, where
        if fault:
            assert len(body) < size, where
        else:
            assert (len(body), _sha(body)) == (size, digest), where
    # One fetch upstream for both readers.
    gets = [r for r in limiter.requests() if r[0] == "GET" and r[1].endswith(digest)]
    assert len(gets) == 1, gets
