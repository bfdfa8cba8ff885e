"""What people may do in an organization itself (hub.permissions.organization_access)."""

import pytest

from hub.permissions import organization_access
from orgs import robots, services
from orgs.errors import OrgError
from tests.factories import UserFactory


@pytest.fixture
def acme(db):
    alice = UserFactory(username="alice")
    return alice, services.org_create(user=alice, name="acme")


def test_roles_give_what_docker_hub_s_roles_give(acme):
    alice, org = acme
    edna, mike = UserFactory(username="edna"), UserFactory(username="mike")
    services.member_add(org=org, username="edna", role="editor")
    services.member_add(org=org, username="mike", role="member")
    owner, editor, member = (organization_access(u, org) for u in (alice, edna, mike))
    assert (owner.owner, owner.manage_repositories, owner.member) == (True, True, True)
    assert (editor.owner, editor.manage_repositories, editor.member) == (False, True, True)
    assert (member.owner, member.manage_repositories, member.member) == (False, False, True)
    outsider = organization_access(UserFactory(), org)
    assert (outsider.member, outsider.owner) == (False, False)


def test_staff_count_as_owners_even_when_they_are_plain_members(acme):
    _, org = acme
    staff = UserFactory(username="harbour", is_staff=True)
    services.member_add(org=org, username="harbour", role="member")
    access = organization_access(staff, org)
    assert (access.role, access.owner, access.manage_repositories) == ("owner", True, True)


def test_robots_get_nothing_in_an_organization(acme):
    alice, org = acme
    robot, _ = robots.robot_create(
        namespace=org, name="ci", created_by=alice, repositories=["*"], actions=["pull"]
    )
    assert organization_access(robot.user, org).member is False


def test_bad_robot_input_is_a_form_error_not_a_crash(acme):
    alice, org = acme
    with pytest.raises(OrgError) as error:
        robots.robot_create(
            namespace=org,
            name="ci",
            created_by=alice,
            repositories=["app"],
            actions=["pull"],
            expires_in_days="soon",
        )
    assert error.value.field == "expires_in_days"


def test_a_robot_has_no_profile_page(acme, client):
    alice, org = acme
    robots.robot_create(
        namespace=org, name="ci", created_by=alice, repositories=["*"], actions=["pull"]
    )
    assert client.get("/u/acme+ci/").status_code == 404
    assert client.get("/u/alice/").status_code == 200
