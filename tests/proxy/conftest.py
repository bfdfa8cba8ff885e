"""Fixtures of the pull-through cache tests: real upstream registries on loopback ports."""

from pathlib import Path

import pytest

from tests.proxy.ratelimited import RateLimitedProxy
from tests.proxy.upstream import UpstreamRegistry
from tests.registry.conftest import Http
from tests.s3 import parametrize_stores

UPSTREAM_USER = "puller"
UPSTREAM_PASSWORD = "upstream-Secret-42"


# These talk to upstreams over the wire or edit upstream records: they store no blob, so they
# run on one store only.
STORE_INDEPENDENT = {
    "test_client_wire.py",
    "test_upstream_api.py",
    "test_upstream_pages.py",
    "test_upstream_services.py",
}


def pytest_generate_tests(metafunc):
    """Every other test here runs on the filesystem store and on S3 (tests/s3.py)."""
    if Path(metafunc.module.__file__).name not in STORE_INDEPENDENT:
        parametrize_stores(metafunc)


@pytest.fixture
def registry(asgi_server, settings):
    """Wharf's live server, as tests/registry's fixture of the same name gives it (some
    modules here have one of their own)."""
    settings.WHARF_URL = asgi_server.url
    asgi_server.host = asgi_server.url.removeprefix("http://")
    asgi_server.http = Http(asgi_server.url)
    return asgi_server


@pytest.fixture
def limiter(upstream):
    """``upstream`` behind tests/proxy/ratelimited.py: it can answer 429 or spoil blobs."""
    proxy = RateLimitedProxy(upstream.url).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def upstream(tmp_path_factory):
    """An anonymous docker-registry upstream, stopped at the end of the test."""
    registry = UpstreamRegistry(tmp_path_factory.mktemp("upstream")).start()
    yield registry
    registry.stop()


@pytest.fixture
def upstream_auth(tmp_path_factory):
    """A docker-registry upstream behind htpasswd (Basic) auth: UPSTREAM_USER's password."""
    registry = UpstreamRegistry(
        tmp_path_factory.mktemp("upstream-auth"), users={UPSTREAM_USER: UPSTREAM_PASSWORD}
    ).start()
    yield registry
    registry.stop()
