"""API tests' clients and robots; the organization acme and its people are
tests/orgs/conftest.py's."""

import base64

import pytest
from rest_framework.test import APIClient

from orgs import robots
from tests.api.conftest import signed_in


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def as_alice(alice):
    return signed_in(alice)


@pytest.fixture
def as_bob(bob):
    return signed_in(bob)


@pytest.fixture
def as_carol(carol):
    return signed_in(carol)


def basic(username: str, secret: str) -> APIClient:
    """A client sending Basic credentials, as `docker login`-style clients and CI scripts do."""
    client = APIClient()
    encoded = base64.b64encode(f"{username}:{secret}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {encoded}")
    return client


def make_robot(namespace, by, *, name="ci", repositories=("app",), actions=("pull",), **fields):
    """A robot through the real service; returns (robot, a client logged in as it)."""
    robot, secret = robots.robot_create(
        namespace=namespace,
        name=name,
        created_by=by,
        repositories=list(repositories),
        actions=list(actions),
        **fields,
    )
    return robot, basic(robot.full_name, secret)
