"""A rate-limited upstream (Docker Hub's 429 TOOMANYREQUESTS): what is cached is served all the
same (stale-if-error), what is not gets the upstream's 429 and words.

The upstream is the test docker-registry behind tests/proxy/ratelimited.py, a reverse proxy
whose switch makes it answer 429 as Docker Hub does.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from hub.models import Tag
from proxy.models import TagCheck
from proxy.services import upstream_create
from tests.factories import UserFactory, make_token
from tests.proxy.ratelimited import RATE_LIMIT_MESSAGE
from tests.registry.conftest import Clients, Http, basic

pytestmark = pytest.mark.integration

NAME = "hubcache/library/app"


@pytest.fixture
def registry(asgi_server, settings):
    settings.WHARF_URL = asgi_server.url
    settings.WHARF_PROXY_TAG_TTL = 1
    asgi_server.host = asgi_server.url.removeprefix("http://")
    asgi_server.http = Http(asgi_server.url)
    return asgi_server


@pytest.fixture
def puller(transactional_db):
    """A signed-in user, not staff: (username, raw read token)."""
    user = UserFactory(username="carol")
    _, raw = make_token(user, scope="read")
    return user.username, raw


@pytest.fixture
def clients(registry, puller, tmp_path_factory) -> Clients:
    clients = Clients(tmp_path_factory.mktemp("clients"), registry.host)
    clients.login(*puller)
    return clients


def pull(clients, ref: str, dest, *, check=True):
    return clients.skopeo(
        "copy", "--src-tls-verify=false", f"docker://{clients.host}/{ref}", f"oci:{dest}:x",
        check=check,
    )  # fmt: skip


def manifest_get(registry, puller, reference: str) -> tuple[int, dict]:
    """A manifest GET of NAME over raw HTTP with the puller's bearer token: status and body."""
    headers = registry.http.bearer(f"repository:{NAME}:pull", auth=basic(*puller))
    status, _, body = registry.http.json(
        "GET", f"/v2/{NAME}/manifests/{reference}", headers=headers
    )
    return status, body


def ttl_passed() -> None:
    """The tags' last upstream check, set back past WHARF_PROXY_TAG_TTL (1 s)."""
    TagCheck.objects.update(checked_at=timezone.now() - timedelta(minutes=5))


def test_a_cached_tag_is_served_while_the_upstream_rate_limits(
    registry, upstream, limiter, clients, tmp_path, caplog
):
    digest = upstream.push_image("library/app", "v1", layers=1)
    upstream_create(name="local", url=limiter.url, namespace="hubcache")
    pull(clients, f"{NAME}:v1", tmp_path / "a")
    assert ("GET", "/v2/library/app/manifests/v1", 200) in limiter.requests()

    limiter.limit()
    ttl_passed()
    asked = len(limiter.requests())
    with caplog.at_level("WARNING", logger="proxy.cache"):
        pull(clients, f"{NAME}:v1", tmp_path / "b")

    # The cache did ask (the tag's TTL was over), was refused, and served what it had.
    assert limiter.requests()[asked:] == [("HEAD", "/v2/library/app/manifests/v1", 429)]
    warnings = [r.getMessage() for r in caplog.records if r.name == "proxy.cache"]
    assert any("429" in w and "serving" in w and digest in w for w in warnings), warnings
    assert Tag.objects.get(repository__name="library/app", name="v1").manifest.digest == digest


def test_an_uncached_tag_gets_the_upstreams_429_and_message(
    registry, upstream, limiter, clients, puller, tmp_path
):
    upstream.push_image("library/app", "v1", layers=1)
    upstream.push_image("library/app", "v2", layers=1)
    upstream_create(name="local", url=limiter.url, namespace="hubcache")
    pull(clients, f"{NAME}:v1", tmp_path / "a")
    limiter.limit()

    status, body = manifest_get(registry, puller, "v2")
    assert status == 429
    assert body["errors"][0]["code"] == "TOOMANYREQUESTS"
    assert body["errors"][0]["message"] == f"upstream: {RATE_LIMIT_MESSAGE}"
    assert not Tag.objects.filter(name="v2").exists()

    # (skopeo shows the same words, after retrying a 429 for half a minute: not done here.)

    # The limit lifted, the same tag comes through: it was the 429, not a missing tag.
    limiter.unlimit()
    status, body = manifest_get(registry, puller, "v2")
    assert status == 200, body
    assert Tag.objects.filter(name="v2").exists()


def test_a_moved_tag_is_served_as_cached_when_only_the_fetch_is_rate_limited(
    registry, upstream, limiter, clients, tmp_path, caplog
):
    """Docker Hub counts GETs, not HEADs: the HEAD says the tag moved, the GET of the new
    manifest is refused, and the cached one is served."""
    first = upstream.push_image("library/app", "v1", layers=1)
    upstream_create(name="local", url=limiter.url, namespace="hubcache")
    pull(clients, f"{NAME}:v1", tmp_path / "a")
    second = upstream.push_image("library/app", "v1", layers=1)
    assert second != first

    limiter.limit("GET")
    ttl_passed()
    asked = len(limiter.requests())
    with caplog.at_level("WARNING", logger="proxy.cache"):
        pull(clients, f"{NAME}:v1", tmp_path / "b")

    assert limiter.requests()[asked:] == [
        ("HEAD", "/v2/library/app/manifests/v1", 200),
        ("GET", "/v2/library/app/manifests/v1", 429),
    ]
    warnings = [r.getMessage() for r in caplog.records if r.name == "proxy.cache"]
    assert any(RATE_LIMIT_MESSAGE in w and first in w for w in warnings), warnings
    assert Tag.objects.get(repository__name="library/app", name="v1").manifest.digest == first

    limiter.unlimit()  # the limit over, the next pull takes the new image
    pull(clients, f"{NAME}:v1", tmp_path / "c")
    assert Tag.objects.get(repository__name="library/app", name="v1").manifest.digest == second
