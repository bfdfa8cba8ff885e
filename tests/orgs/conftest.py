"""The organization acme that the API and page tests share: owned by alice, bob a plain member
(in the team devs when a test asks for it), the private acme/app and the public acme/site;
carol is nobody's, dave not yet a member, harbourmaster staff."""

import pytest

from hub.services import repository_create
from orgs import services
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
    return repository_create(user=alice, namespace="acme", name="site", description="Our site")
