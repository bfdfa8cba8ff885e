"""Fixtures and helpers of the builds REST API tests."""

import pytest
from rest_framework.test import APIClient

from builds import services
from builds.models import Build
from tests.api.conftest import make_repo, signed_in
from tests.factories import UserFactory

GIT_URL = "https://git.example.test/alice/web.git"
API = "/api/v2/repositories/alice"


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.WHARF_URL = "https://hub.example.test"
    settings.WHARF_BUILD_ALLOW_LOCAL_SOURCES = False


@pytest.fixture
def owner(db):
    return UserFactory(username="alice")


@pytest.fixture
def repo(owner):
    repository = make_repo(owner, "web")
    settings_row = services.build_settings_for(repository=repository)
    settings_row.source_url = GIT_URL
    settings_row.save()
    return repository


@pytest.fixture
def private(owner):
    return make_repo(owner, "secret", is_private=True)


@pytest.fixture
def clients(owner):
    return {
        "anonymous": APIClient(),
        "other": signed_in(UserFactory()),
        "owner": signed_in(owner),
        "staff": signed_in(UserFactory(is_staff=True)),
    }


def one_off(**fields) -> dict:
    return {"source_url": GIT_URL, "source_type": "branch", "source": "main", **fields}


def queued(repository, ref: str = "main", **fields) -> Build:
    return services.build_create(
        repository=repository, source_url=GIT_URL, source_ref=ref, **fields
    )
