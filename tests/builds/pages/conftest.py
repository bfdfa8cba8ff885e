"""Fixtures and helpers of the build page tests."""

import pytest

from builds.logs import LogWriter
from builds.models import Build, BuildSettings
from builds.services import rule_create
from tests.factories import UserFactory
from tests.hub.conftest import make_repo

GIT = "https://git.example/alice/web.git"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


@pytest.fixture
def staff(db):
    return UserFactory(username="harbourmaster", is_staff=True)


@pytest.fixture
def web(alice):
    """alice/web (public) with a git URL and one rule: branch main → latest."""
    repo = make_repo(alice, "web")
    BuildSettings.objects.create(repository=repo, source_url=GIT)
    rule_create(repository=repo, source_type="branch", source="main", docker_tag="latest")
    return repo


@pytest.fixture
def vault(alice):
    return make_repo(alice, "vault", is_private=True)


def make_build(repository, **fields) -> Build:
    fields = {"source_url": GIT, "source_ref": "main", "tags": ["latest"], **fields}
    return Build.objects.create(repository=repository, **fields)


def add_lines(build: Build, *texts: str) -> None:
    writer = LogWriter(build)
    for text in texts:
        writer.line(text)
    writer.flush()


def main(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]
