"""Fixtures of the end-to-end build tests: a hub with a real Celery worker, a repository to
build into, and a place for git repositories that the build user may read."""

import shutil
import tempfile
from pathlib import Path

import pytest

from builds import sandbox
from hub.registry import busybox
from hub.registry.importer import import_layout
from hub.services import repository_get_or_create
from tests.factories import UserFactory


@pytest.fixture
def sources():
    """A directory for the test's git repositories that the build user may read.

    A root worker clones as WHARF_BUILD_USER, and tmp_path lies under a directory only root may
    enter.
    """
    path = Path(tempfile.mkdtemp(prefix="wharf-test-sources-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def hub(asgi_server, settings, tmp_path_factory, celery_worker):
    """The registry to push to, the official busybox in it, and a Celery worker to build."""
    settings.WHARF_URL = asgi_server.url
    settings.WHARF_BUILD_ALLOW_LOCAL_SOURCES = True
    # Git servers and registries of the tests listen on 127.0.0.1.
    settings.WHARF_BUILD_ALLOW_PRIVATE_SOURCES = True
    # A fresh layer store per test, beside the default one, so the build user owns and reaches it.
    builds_dir = Path(tempfile.mkdtemp(prefix="test-", dir=sandbox.current().root.parent))
    settings.WHARF_BUILD_DIR = builds_dir
    layout = busybox.build_layout(tmp_path_factory.mktemp("busybox") / "layout")
    import_layout(layout=layout, ref="latest", target="library/busybox:latest")
    yield asgi_server
    shutil.rmtree(builds_dir, ignore_errors=True)


@pytest.fixture
def repo(transactional_db):
    owner = UserFactory(username="builder")
    return repository_get_or_create(namespace="builder", name="app", user=owner)
