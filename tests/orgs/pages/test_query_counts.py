"""The organization page and its Members tab run a fixed number of queries (no N+1)."""

import pytest

from hub.services import repository_create, star_add
from orgs import services

# Signed in: the session and the user (2), the user menu's organizations (1), then the page's:
# the organization, the viewer's membership, and its list.
SIGNED_IN = 2 + 1
PAGES = {
    "/orgs/acme/": 3,  # organization, membership, repositories (with access annotated)
    "/orgs/acme/members/": 3,  # organization, membership, members with their users
    "/orgs/acme/teams/": 3,  # organization, membership, teams with member counts
}


def fill(org, owner, start: int, count: int):
    """``count`` more people in ``org`` and repositories of it, starred, some private."""
    for i in range(start, start + count):
        person = services.member_add(
            org=org, username=_person(f"user{i:03d}").username, role="member"
        ).user
        repo = repository_create(
            user=owner, namespace=org.name, name=f"svc{i:02d}", is_private=i % 2 == 0
        )
        star_add(user=person, repository=repo)
        team = services.team_create(org=org, name=f"team{i:02d}")
        services.team_member_add(team=team, username=person.username)
        services.team_permission_set(repository=repo, team=team, permission="read")


def _person(username: str):
    from tests.factories import UserFactory

    return UserFactory(username=username)


@pytest.mark.parametrize("path, expected", PAGES.items())
def test_organization_pages_run_a_fixed_number_of_queries(
    client, alice, bob, acme, django_assert_num_queries, path, expected
):
    fill(acme, alice, 0, 2)
    for viewer in (alice, bob):
        client.force_login(viewer)
        with django_assert_num_queries(SIGNED_IN + expected):
            client.get(path)
    fill(acme, alice, 2, 10)
    for viewer in (alice, bob):
        client.force_login(viewer)
        with django_assert_num_queries(SIGNED_IN + expected):
            response = client.get(path)
        assert response.status_code == 200


def test_the_organization_page_signed_out_runs_two_queries(
    client, alice, acme, django_assert_num_queries
):
    fill(acme, alice, 0, 3)
    # The organization and its public repositories: no session, no membership to look up.
    with django_assert_num_queries(2):
        response = client.get("/orgs/acme/")
    assert [r.name for r in response.context["repositories"]] == ["svc01"]


def test_the_user_menu_costs_one_query_however_many_organizations(
    client, alice, django_assert_num_queries
):
    for name in ("org1", "org2"):
        services.org_create(user=alice, name=f"{name}xx")
    client.force_login(alice)
    # session, user, organizations for the menu, then the home page's four sections.
    with django_assert_num_queries(2 + 1 + 4):
        client.get("/")
    for name in ("org3", "org4", "org5"):
        services.org_create(user=alice, name=f"{name}xx")
    with django_assert_num_queries(2 + 1 + 4):
        response = client.get("/")
    assert response.content.decode().count('class="menu-org"') == 5
