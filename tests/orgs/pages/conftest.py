"""An organization for page tests: acme, owned by alice, with bob as a plain member, the team
devs (bob in it), the private acme/app (devs write) and the public acme/site; carol is nobody's."""

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


@pytest.fixture
def devs_write_app(devs, app):
    return services.team_permission_set(repository=app, team=devs, permission="write")


def main(response) -> str:
    """The page's <main>, decoded: what the tests read (the user menu is elsewhere)."""
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def flashes(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]
