"""What the upstream configuration tests share: a staff member, a second real user who is not
staff, and upstreams made through the real service.

Test modules import the fixtures (``staff_fixture``…): tests/proxy/conftest.py belongs to the
pull-through tests, and the fixtures' own names are free for the tests' arguments.
"""

import pytest

from hub.events import EventActor, acting
from proxy.services import upstream_create
from tests.factories import UserFactory

PASSWORD = "dckr_pat_" + "Zq7" * 10  # what a Docker Hub access token looks like
DOCKERHUB = {
    "name": "dockerhub",
    "url": "https://registry-1.docker.io",
    "username": "wharfbot",
    "password": PASSWORD,
}


@pytest.fixture(name="staff")
def staff_fixture(db):
    return UserFactory(username="admin1", is_staff=True)


@pytest.fixture(name="someone")
def someone_fixture(db):
    """Signed in, not staff."""
    return UserFactory(username="bobby")


def make_upstream(by=None, **fields):
    """An upstream through upstream_create (as ``by`` when given: events name them)."""
    values = {**DOCKERHUB, **fields}
    if by is None:
        return upstream_create(**values)
    with acting(EventActor(user=by, kind="user", name=by.username)):
        return upstream_create(**values)


@pytest.fixture(name="dockerhub")
def dockerhub_fixture(staff):
    return make_upstream(by=staff)
