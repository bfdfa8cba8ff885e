"""Cache coherence tests (test_content.py, test_access.py): the two web processes they ask.

Two web processes, A and B (tests/registry/processes.py), share the test's database, Redis and
blob store as the web workers of `make run` do. Each test first asks both the same questions a
few times, so that any cache holds the old answers, then changes something through A (or through
the services, in the test process), and at once asks B, then A: the answers must be the new ones.
Nothing waits or retries. Only HTTP is looked at, so this holds with or without caches.

Both are subprocesses, not the in-thread server: that one shares the test process's memory, so
its caches would be cleared by the test's own service calls and its pull counts flushed with the
test's, hiding what another process gets wrong. They run for the whole package (a start costs
seconds); every test makes new accounts, so no two tests share a repository, token or cache key.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from accounts.models import User
from tests.factories import UserFactory, make_token
from tests.registry.coherence.helpers import Image, new_image, push, sha
from tests.registry.conftest import basic
from tests.registry.processes import Web, web_processes


@pytest.fixture(scope="package")
def ab(django_db_setup, tmp_path_factory) -> Iterator[Web]:
    """Web processes A and B (``ab.a``, ``ab.b``; iterating gives both)."""
    with web_processes(tmp_path_factory.mktemp("web")) as web:
        yield web


# These replace tests/conftest.py's per-test fixtures of the same names: the processes were
# started with one Redis prefix and one blob directory, and the test must use the same ones.
@pytest.fixture(autouse=True)
def _isolated_redis_keys(settings, ab):
    settings.WHARF_REDIS_PREFIX = ab.redis_prefix
    settings.WHARF_URL = ab.url


@pytest.fixture(autouse=True)
def _isolated_blob_store(settings, ab):
    settings.WHARF_REGISTRY_DIR = ab.registry_dir


@dataclass
class Pushed:
    name: str
    owner: User
    pat: str
    headers: dict  # pull, push and delete, from A
    image: Image  # tagged v1

    def path(self, reference: str = "v1") -> str:
        return f"/v2/{self.name}/manifests/{reference}"

    @property
    def blob(self) -> str:
        return f"/v2/{self.name}/blobs/{sha(self.image.layer)}"

    def reads(self, headers: dict) -> list[tuple[str, str, dict]]:
        """What a client does first: probe, check the tag, fetch a layer."""
        return [("GET", "/v2/", headers), ("HEAD", self.path(), headers),
                ("GET", self.blob, headers)]  # fmt: skip


@pytest.fixture
def pushed(ab) -> Pushed:
    """A public repository of a new user with one image, pushed to A."""
    owner = UserFactory()
    _, pat = make_token(owner, scope="read_write_delete")
    name = f"{owner.username}/app"
    headers = ab.a.bearer(f"repository:{name}:pull,push,delete", auth=basic(owner.username, pat))
    image = new_image()
    push(ab.a, name, "v1", image, headers)
    return Pushed(name, owner, pat, headers, image)
