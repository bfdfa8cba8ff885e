"""The pull-through cache with the real docker CLI and dockerd: ``docker pull`` through a proxy
namespace as a signed-in user, and Wharf as dockerd's ``registry-mirrors`` entry answering Docker
Hub names. No internet: the upstream is Debian's docker-registry on loopback, and a dockerd with
a mirror falls back to registry-1.docker.io only through an HTTPS proxy address on loopback that
refuses every connection."""

import json
import os
import socket

import pytest

from hub.models import Repository, Tag
from proxy.services import upstream_create
from tests.docker.conftest import Docker
from tests.dockerd import private_engine
from tests.factories import UserFactory
from tests.registry.conftest import registry  # noqa: F401  (a fixture)

pytestmark = pytest.mark.integration

PROXY_VARS = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


@pytest.fixture
def docker(dockerd, registry, tmp_path):  # noqa: F811
    """The session's engine, with a DOCKER_CONFIG of this test's own."""
    client = Docker(dockerd, tmp_path / "dockercfg", registry.host)
    yield client
    client.cleanup()


@pytest.fixture
def puller(transactional_db):
    """A signed-in user who is not staff."""
    return UserFactory(username="carol")


@pytest.fixture
def refusing_proxy():
    """An HTTP(S) proxy address on loopback that nothing listens on: a socket bound there and
    never listening, so connections to it are refused and its port stays ours."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def mirror_dockerd(registry, refusing_proxy):  # noqa: F811
    """A second private engine with Wharf as its registry mirror (a start-time option, and the
    live server's port is the test's own, so the engine is too).

    dockerd goes to registry-1.docker.io when the mirror fails; through the refusing proxy that
    attempt ends on loopback at once. Loopback itself (the mirror) is never proxied.
    """
    environ = {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARS}
    environ |= {
        "HTTP_PROXY": refusing_proxy,
        "HTTPS_PROXY": refusing_proxy,
        "NO_PROXY": "127.0.0.1,localhost",
    }
    with private_engine(extra_args=["--registry-mirror", registry.url], environ=environ) as engine:
        yield engine


def cache_of(upstream, **fields):
    values = {"name": "local", "url": upstream.url, "namespace": "hubcache", **fields}
    return upstream_create(**values)


def config_digest(upstream, digest: str) -> str:
    """The image ID docker gives the image: its config's digest, read from the upstream's own
    storage (not over HTTP, which its access log would count)."""
    return json.loads(upstream.blob_data(digest).read_bytes())["config"]["digest"]


def fetched(upstream, since: int) -> list[tuple[str, str]]:
    """(method, path) of the upstream's successful requests after its first ``since``."""
    return [(m, p) for m, p, status in upstream.requests()[since:] if status < 400]


def blob_gets(upstream, since: int) -> list[str]:
    return [p.rsplit("/", 1)[1] for m, p in fetched(upstream, since) if "/blobs/" in p]


def engine_log(engine) -> str:
    return engine.log.read_text(errors="replace")


def image(run, ref: str) -> dict:
    return json.loads(run("image", "inspect", ref).stdout)[0]


def test_docker_pulls_through_a_proxy_namespace_then_from_the_cache_with_the_upstream_down(
    docker, upstream, puller
):
    digest = upstream.push_image("library/app", "v1", layers=2)
    config = config_digest(upstream, digest)
    cache_of(upstream)
    assert "Login Succeeded" in docker.login(puller.username).stdout
    ref = docker.ref("hubcache/library/app:v1")
    pushed = len(upstream.requests())

    pulled = docker("pull", ref)
    assert f"Digest: {digest}" in pulled.stdout
    pulled_image = image(docker, ref)
    assert pulled_image["Id"] == config
    assert pulled_image["RepoDigests"] == [docker.ref(f"hubcache/library/app@{digest}")]
    gets = blob_gets(upstream, pushed)
    assert config in gets
    assert len(gets) == len(set(gets)) == 3  # config and two layers, each fetched once
    repo = Repository.objects.get(namespace__name="hubcache", name="library/app")
    assert Tag.objects.get(repository=repo, name="v1").manifest.digest == digest

    # Gone from the engine and gone upstream: the layers come from Wharf's cache alone.
    docker("rmi", ref)
    assert docker("images", "-q", ref).stdout == ""
    upstream.stop()
    again = docker("pull", ref)
    assert f"Digest: {digest}" in again.stdout
    assert again.stdout.count("Pull complete") == 2
    assert image(docker, ref)["Id"] == config


def test_dockerd_with_wharf_as_its_mirror_pulls_a_docker_hub_name_from_the_upstream(
    mirror_dockerd, upstream, tmp_path
):
    digest = upstream.push_image("library/alpine", "3", layers=1, docker=True)
    config = config_digest(upstream, digest)
    cache_of(upstream, is_mirror=True, pull_access="public")  # dockerd asks mirrors anonymously
    pushed = len(upstream.requests())

    def run(*args, **kwargs):
        return mirror_dockerd.run(*args, config=tmp_path / "dockercfg", **kwargs)

    pulled = run("pull", "alpine:3")  # Docker Hub's library/alpine, by its short name
    assert f"Digest: {digest}" in pulled.stdout
    assert "Downloaded newer image for alpine:3" in pulled.stdout
    pulled_image = image(run, "alpine:3")
    assert pulled_image["Id"] == config
    assert pulled_image["RepoDigests"] == [f"alpine@{digest}"]

    repo = Repository.objects.get(namespace__name="hubcache", name="library/alpine")
    assert not repo.is_private
    assert Tag.objects.get(repository=repo, name="3").manifest.digest == digest
    asked = fetched(upstream, pushed)
    assert any(m == "GET" and p.startswith("/v2/library/alpine/manifests/") for m, p in asked)
    gets = blob_gets(upstream, pushed)
    assert len(gets) == len(set(gets)) == 2 and config in gets
    # The mirror answered: dockerd never went on to Docker Hub.
    assert "Attempting next endpoint" not in engine_log(mirror_dockerd)


def test_an_anonymous_mirror_pull_of_a_signed_in_only_cache_never_reaches_the_upstream(
    mirror_dockerd, upstream, tmp_path
):
    upstream.push_image("library/alpine", "3", layers=1, docker=True)
    cache_of(upstream, is_mirror=True)  # pull access "signed_in", the default
    before = len(upstream.requests())

    pulled = mirror_dockerd.run("pull", "alpine:3", config=tmp_path / "dockercfg", check=False)
    assert pulled.returncode != 0
    # Refused by the mirror, dockerd tried Docker Hub next, and that ended on loopback.
    assert "Attempting next endpoint for pull after error: unauthorized" in engine_log(
        mirror_dockerd
    )
    assert "registry-1.docker.io" in pulled.stderr
    assert "proxyconnect" in pulled.stderr
    assert upstream.requests()[before:] == []
    assert not Repository.objects.filter(name="library/alpine").exists()
