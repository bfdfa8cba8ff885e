"""The organization acme for API tests: owned by alice, bob a plain member in the team devs,
the private acme/app and the public acme/site; carol is nobody's, dave not yet a member."""

import base64

import pytest
from rest_framework.test import APIClient

from hub.services import repository_create
from orgs import robots, services
from tests.api.conftest import signed_in
from tests.factories import UserFactory


@pytest.fixture
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(db, fast_passwords):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db, fast_passwords):
    return UserFactory(username="bob")


@pytest.fixture
def carol(db, fast_passwords):
    return UserFactory(username="carol")


@pytest.fixture
def dave(db, fast_passwords):
    return UserFactory(username="dave")


@pytest.fixture
def staff(db, fast_passwords):
    return UserFactory(username="harbourmaster", is_staff=True)


@pytest.fixture
def acme(alice, bob):
    org = services.org_create(user=alice, name="acme", full_name="Acme Corp.")
    services.member_add(org=org, username="bob", role="member")
    return org


@pytest.fixture
def devs(acme):
    team = services.team_create(org=acme, name="devs", description="The developers")
    services.team_member_add(team=team, username="bob")
    return team


@pytest.fixture
def app(acme, alice):
    return repository_create(user=alice, namespace="acme", name="app", is_private=True)


@pytest.fixture
def site(acme, alice):
    return repository_create(user=alice, namespace="acme", name="site")


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
