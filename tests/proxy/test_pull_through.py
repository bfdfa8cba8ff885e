"""The pull-through cache end to end: a real docker-registry upstream on loopback, Wharf's live
server, and real clients (skopeo, podman) pulling through it."""

import concurrent.futures
import json
import time

import pytest

from hub.models import Blob, Manifest, Repository, Tag
from proxy.models import CachedManifest, TagCheck
from proxy.services import upstream_create
from tests.factories import UserFactory, make_token
from tests.proxy.conftest import UPSTREAM_PASSWORD, UPSTREAM_USER
from tests.registry.conftest import Clients, basic

pytestmark = pytest.mark.integration


def blob_digests(layout) -> set[str]:
    return {f"sha256:{p.name}" for p in (layout / "blobs" / "sha256").iterdir()}


@pytest.fixture
def puller(transactional_db):
    """A signed-in user who is not staff: (user, raw read token)."""
    user = UserFactory(username="carol")
    _, raw = make_token(user, scope="read")
    return user, raw


def signed_in(registry, tmp_path_factory, puller) -> Clients:
    clients = Clients(tmp_path_factory.mktemp("clients"), registry.host)
    clients.login(puller[0].username, puller[1])
    return clients


def wait_for(condition, seconds: float = 30.0) -> bool:
    """Whether ``condition()`` came true within ``seconds`` (asked every 50 ms)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def manifest_error(registry, puller, name: str, reference: str) -> tuple[int, dict]:
    """A manifest GET as the puller, over raw HTTP: the status and the registry error."""
    headers = registry.http.bearer(f"repository:{name}:pull", auth=basic(*puller_login(puller)))
    status, _, body = registry.http.json(
        "GET", f"/v2/{name}/manifests/{reference}", headers=headers
    )
    return status, body["errors"][0]


def puller_login(puller) -> tuple[str, str]:
    return puller[0].username, puller[1]


def blob_gets(upstream, since: int = 0) -> list[str]:
    """The blob GETs the upstream served after its first ``since`` requests."""
    return [p for m, p, _ in upstream.requests()[since:] if m == "GET" and "/blobs/sha256:" in p]


def cache_of(upstream, **fields):
    values = {"name": "local", "url": upstream.url, "namespace": "hubcache", **fields}
    return upstream_create(**values)


def pull(clients, ref: str, dest, *, check=True):
    return clients.skopeo(
        "copy", "--src-tls-verify=false", f"docker://{clients.host}/{ref}", f"oci:{dest}:x",
        check=check,
    )  # fmt: skip


def test_skopeo_pulls_through_then_from_the_cache_with_the_upstream_down(
    registry, upstream, puller, tmp_path, tmp_path_factory
):
    digest = upstream.push_image("library/app", "v1", layers=3)
    cache_of(upstream)
    clients = signed_in(registry, tmp_path_factory, puller)
    pushed = len(upstream.requests())

    pull(clients, "hubcache/library/app:v1", tmp_path / "first")
    gets = blob_gets(upstream, pushed)
    assert len(gets) == len(set(gets)) == 4  # config and three layers, each fetched once
    repo = Repository.objects.get(namespace__name="hubcache", name="library/app")
    assert repo.is_private  # pull access "signed_in"
    tag = Tag.objects.select_related("manifest").get(repository=repo, name="v1")
    assert tag.manifest.digest == digest
    # A reader gets a blob's last bytes once they matched the digest; the fill then stores and
    # links it (on the filesystem store a moment after the client is done).
    manifest = Manifest.objects.filter(pk=tag.manifest_id)
    # Every blob linked (gc keeps them), and the platform read from the config once it was here.
    assert wait_for(lambda: manifest.filter(architecture="amd64").exists())
    assert wait_for(lambda: manifest.get().blobs.count() == 4)
    assert CachedManifest.objects.filter(manifest=tag.manifest).exists()

    upstream.stop()
    pull(clients, "hubcache/library/app:v1", tmp_path / "again")
    assert blob_digests(tmp_path / "again") == blob_digests(tmp_path / "first")
    inspect = json.loads(
        clients.skopeo(
            "inspect", "--tls-verify=false", f"docker://{clients.host}/hubcache/library/app:v1"
        ).stdout
    )
    assert inspect["Digest"] == digest


def test_a_tag_is_rechecked_with_a_head_only_after_the_ttl(
    registry, upstream, puller, tmp_path, tmp_path_factory, settings
):
    settings.WHARF_PROXY_TAG_TTL = 300
    first = upstream.push_image("team/tool", "latest", layers=1)
    cache_of(upstream)
    clients = signed_in(registry, tmp_path_factory, puller)
    pull(clients, "hubcache/team/tool:latest", tmp_path / "a")

    second = upstream.push_image("team/tool", "latest", layers=1)
    assert second != first
    before = upstream.requests()
    pull(clients, "hubcache/team/tool:latest", tmp_path / "b")
    assert upstream.requests()[len(before) :] == []  # within the TTL: not a request upstream
    assert Tag.objects.get(name="latest").manifest.digest == first

    settings.WHARF_PROXY_TAG_TTL = 1
    time.sleep(1.2)
    before = upstream.requests()
    pull(clients, "hubcache/team/tool:latest", tmp_path / "c")
    asked = [(m, p) for m, p, _ in upstream.requests()[len(before) :]]
    assert ("HEAD", "/v2/team/tool/manifests/latest") in asked
    assert Tag.objects.get(name="latest").manifest.digest == second
    assert blob_digests(tmp_path / "c") != blob_digests(tmp_path / "a")

    # Unchanged upstream after the TTL: a HEAD renews the tag, nothing is fetched.
    checked = TagCheck.objects.get(name="latest").checked_at
    time.sleep(1.2)
    before = upstream.requests()
    pull(clients, "hubcache/team/tool:latest", tmp_path / "d")
    asked = [(m, p) for m, p, _ in upstream.requests()[len(before) :]]
    assert asked == [("HEAD", "/v2/team/tool/manifests/latest")]
    assert TagCheck.objects.get(name="latest").checked_at > checked


def test_a_stale_tag_is_served_when_the_upstream_is_down(
    registry, upstream, puller, tmp_path, tmp_path_factory, settings, caplog
):
    settings.WHARF_PROXY_TAG_TTL = 1
    digest = upstream.push_image("library/app", "v1", layers=1)
    cache_of(upstream)
    clients = signed_in(registry, tmp_path_factory, puller)
    pull(clients, "hubcache/library/app:v1", tmp_path / "a")
    upstream.stop()
    time.sleep(1.2)

    with caplog.at_level("WARNING", logger="proxy.cache"):
        pull(clients, "hubcache/library/app:v1", tmp_path / "b")
    assert any("serving" in r.getMessage() and digest in r.getMessage() for r in caplog.records)

    # What was never cached cannot be served: the upstream's absence, as a registry error.
    result = pull(clients, "hubcache/library/other:v1", tmp_path / "c", check=False)
    assert result.returncode != 0
    status, body = manifest_error(registry, puller, "hubcache/library/other", "v1")
    assert status == 503 and body["code"] == "UNAVAILABLE"
    assert body["message"].startswith("upstream: ")


def test_ten_concurrent_pulls_of_a_new_image_fetch_each_blob_once(
    registry, upstream, puller, tmp_path, tmp_path_factory
):
    upstream.push_image("library/big", "v1", layers=2, layer_size=32 * 1024 * 1024)
    cache_of(upstream)
    clients = [signed_in(registry, tmp_path_factory, puller) for _ in range(10)]
    pushed = len(upstream.requests())

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        results = list(
            pool.map(
                lambda i: pull(clients[i], "hubcache/library/big:v1", tmp_path / f"p{i}"),
                range(10),
            )
        )
    assert all(r.returncode == 0 for r in results)
    wanted = blob_digests(tmp_path / "p0")
    for i in range(1, 10):
        assert blob_digests(tmp_path / f"p{i}") == wanted
    gets = blob_gets(upstream, pushed)
    assert len(gets) == len(set(gets)) == 3  # config and two 32 MiB layers, each once
    for path in gets:
        digest = path.rsplit("/", 1)[1]
        assert digest in wanted
        assert Blob.objects.filter(digest=digest).exists()  # verified and stored


def test_podman_pulls_through_an_upstream_with_htpasswd_credentials(
    registry, upstream_auth, puller, tmp_path_factory
):
    digest = upstream_auth.push_image("library/web", "1.0", layers=2)
    cache_of(upstream_auth, username=UPSTREAM_USER, password=UPSTREAM_PASSWORD)
    clients = signed_in(registry, tmp_path_factory, puller)
    clients.podman(
        "login", "--tls-verify=false", "-u", puller[0].username, "-p", puller[1], registry.host
    )
    clients.podman("pull", "--tls-verify=false", f"{registry.host}/hubcache/library/web:1.0")
    listed = clients.podman("images", "--digests", "--format", "{{.Digest}}").stdout
    assert digest in listed


def test_wrong_upstream_credentials_give_the_upstreams_message(
    registry, upstream_auth, puller, tmp_path, tmp_path_factory
):
    upstream_auth.push_image("library/web", "1.0", layers=1)
    cache_of(upstream_auth, username=UPSTREAM_USER, password="not-the-password")
    clients = signed_in(registry, tmp_path_factory, puller)
    result = pull(clients, "hubcache/library/web:1.0", tmp_path / "x", check=False)
    assert result.returncode != 0
    status, body = manifest_error(registry, puller, "hubcache/library/web", "1.0")
    # The upstream's refusal is Wharf's configuration problem, not the client's: a 502 that
    # passes on the upstream's code and words, never the password.
    assert status == 502 and body["code"] == "UNAUTHORIZED"
    assert body["message"].startswith("upstream: ")
    assert "not-the-password" not in json.dumps(body)
    assert not Repository.objects.filter(name="library/web").exists()


def test_anonymous_pulls_never_reach_a_signed_in_only_upstream(
    registry, upstream, tmp_path, tmp_path_factory
):
    upstream.push_image("library/app", "v1", layers=1)
    cache_of(upstream)
    anonymous = Clients(tmp_path_factory.mktemp("anon"), registry.host)
    before = upstream.requests()
    result = pull(anonymous, "hubcache/library/app:v1", tmp_path / "x", check=False)
    assert result.returncode != 0
    assert upstream.requests()[len(before) :] == []
    status, _, _ = registry.http.request("GET", "/v2/hubcache/library/app/manifests/v1")
    assert status == 401


def test_a_public_cache_serves_anonymous_pulls(registry, upstream, tmp_path, tmp_path_factory):
    digest = upstream.push_image("library/app", "v1", layers=1)
    cache_of(upstream, pull_access="public")
    anonymous = Clients(tmp_path_factory.mktemp("anon"), registry.host)
    pull(anonymous, "hubcache/library/app:v1", tmp_path / "x")
    repo = Repository.objects.get(namespace__name="hubcache", name="library/app")
    assert not repo.is_private
    assert Tag.objects.get(repository=repo).manifest.digest == digest


def test_pushing_into_a_proxy_namespace_is_denied_with_a_message(
    registry, upstream, tmp_path, tmp_path_factory
):
    from tests.registry.conftest import make_image

    staff = UserFactory(username="root1", is_staff=True)
    _, raw = make_token(staff, scope="read_write_delete")
    cache_of(upstream)
    clients = Clients(tmp_path_factory.mktemp("staff"), registry.host)
    clients.login(staff.username, raw)
    image = make_image(tmp_path / "image", layers=1)
    result = clients.skopeo(
        "copy", "--dest-tls-verify=false", f"oci:{image}:v1",
        f"docker://{registry.host}/hubcache/library/mine:v1", check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "hubcache/ is a pull-through cache" in result.stderr
    assert upstream.url in result.stderr
    assert not Repository.objects.filter(name="library/mine").exists()


def test_the_default_mirror_answers_library_names_wharf_does_not_have(
    registry, upstream, puller, tmp_path, tmp_path_factory
):
    digest = upstream.push_image("library/alpine", "3", layers=1)
    index = upstream.push_index("library/multi", "1")
    cache_of(upstream, is_mirror=True)
    clients = signed_in(registry, tmp_path_factory, puller)

    pushed = len(upstream.requests())

    pull(clients, "library/alpine:3", tmp_path / "a")
    pull(clients, "alpine:3", tmp_path / "b")  # the short name is library/alpine
    pull(clients, "hubcache/library/alpine:3", tmp_path / "c")
    repo = Repository.objects.get(namespace__name="hubcache", name="library/alpine")
    assert Tag.objects.get(repository=repo, name="3").manifest.digest == digest
    # The three names share one cache: the later pulls fetched nothing.
    gets = blob_gets(upstream, pushed)
    assert len(gets) == len(set(gets)) == 2

    clients.skopeo(
        "copy", "--all", "--src-tls-verify=false", f"docker://{registry.host}/library/multi:1",
        f"oci:{tmp_path / 'm'}:x",
    )  # fmt: skip
    multi = Repository.objects.get(namespace__name="hubcache", name="library/multi")
    stored = Tag.objects.get(repository=multi, name="1").manifest
    assert stored.digest == index
    assert stored.children.count() == 2  # each platform linked as it arrived


def test_the_mirror_never_answers_for_a_wharf_users_namespace(
    registry, upstream, puller, tmp_path, tmp_path_factory
):
    """dave has an account (no repository yet): dave/tool here is never Docker Hub's dave/tool."""
    upstream.push_image("dave/tool", "1", layers=1)
    UserFactory(username="dave")
    cache_of(upstream, is_mirror=True)
    clients = signed_in(registry, tmp_path_factory, puller)
    pushed = len(upstream.requests())

    result = pull(clients, "dave/tool:1", tmp_path / "x", check=False)
    assert result.returncode != 0
    assert upstream.requests()[pushed:] == []
    assert not Repository.objects.filter(name="dave/tool").exists()


def test_turning_a_public_cache_signed_in_only_stops_anonymous_pulls_at_once(
    registry, upstream, tmp_path, tmp_path_factory
):
    from proxy.services import upstream_update

    upstream.push_image("library/app", "v1", layers=1)
    cache = cache_of(upstream, pull_access="public")
    anonymous = Clients(tmp_path_factory.mktemp("anon"), registry.host)
    pull(anonymous, "hubcache/library/app:v1", tmp_path / "a")  # also warms the fast path

    upstream_update(upstream=cache, pull_access="signed_in")
    assert Repository.objects.get(name="library/app").is_private
    result = pull(anonymous, "hubcache/library/app:v1", tmp_path / "b", check=False)
    assert result.returncode != 0
    status, _, _ = registry.http.request("GET", "/v2/hubcache/library/app/manifests/v1")
    assert status == 401


def test_an_unreadable_upstream_password_is_a_clear_error(
    registry, upstream_auth, puller, settings
):
    upstream_auth.push_image("library/web", "1.0", layers=1)
    cache_of(upstream_auth, username=UPSTREAM_USER, password=UPSTREAM_PASSWORD)
    settings.SECRET_KEY = "another-secret-key-than-the-one-it-was-stored-under"
    status, body = manifest_error(registry, puller, "hubcache/library/web", "1.0")
    assert status == 502
    assert "cannot be read" in body["message"] and "set it again" in body["message"]


def test_a_cached_repositorys_visibility_follows_its_upstream_only(registry, upstream, puller):
    from hub.services import RepositoryError, repository_update

    upstream.push_image("library/app", "v1", layers=1)
    cache_of(upstream)
    name = "hubcache/library/app"
    headers = registry.http.bearer(f"repository:{name}:pull", auth=basic(*puller_login(puller)))
    assert registry.http.request("GET", f"/v2/{name}/manifests/v1", headers=headers)[0] == 200
    repo = Repository.objects.select_related("namespace").get(name="library/app")
    with pytest.raises(RepositoryError, match="upstream's pull access"):
        repository_update(repository=repo, is_private=False)
    repo.refresh_from_db()
    assert repo.is_private
    repository_update(repository=repo, description="Our nginx")  # the rest stays editable
