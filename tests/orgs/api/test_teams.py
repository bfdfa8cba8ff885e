import pytest

from orgs import services
from orgs.models import Membership, Team, TeamMember
from tests.orgs.api.conftest import make_robot

GROUPS = "/api/v2/orgs/acme/groups/"


def test_owners_create_a_team(as_alice, acme):
    response = as_alice.post(GROUPS, {"name": "ops", "description": "On call"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "ops" and body["description"] == "On call"
    assert body["member_count"] == 0 and body["created"]
    assert Team.objects.filter(namespace=acme, name="ops").exists()


def test_a_bad_team_name_is_refused(as_alice, acme):
    response = as_alice.post(GROUPS, {"name": "Ops Team"}, format="json")

    assert response.status_code == 400
    assert response.json()["name"][0].startswith("Team names are 1–50 lowercase letters")


def test_a_team_name_is_unique_in_the_organization(as_alice, devs):
    response = as_alice.post(GROUPS, {"name": "devs"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"name": ["acme already has a team devs."]}


def test_members_see_the_teams_with_their_size(as_bob, devs):
    response = as_bob.get(GROUPS)

    assert response.status_code == 200
    assert [(t["name"], t["member_count"]) for t in response.json()["results"]] == [("devs", 1)]


def test_outsiders_get_404_for_teams(as_carol, api, devs):
    assert as_carol.get(GROUPS).status_code == 404
    assert api.get(GROUPS).status_code == 404
    assert as_carol.get(f"{GROUPS}devs/").status_code == 404
    assert as_carol.get(f"{GROUPS}devs/members/").status_code == 404
    assert as_carol.post(GROUPS, {"name": "ops"}, format="json").status_code == 404


def test_members_cannot_change_teams(as_bob, devs):
    created = as_bob.post(GROUPS, {"name": "ops"}, format="json")

    assert created.status_code == 403
    assert created.json() == {"detail": "Only owners of acme can do this."}
    assert as_bob.patch(f"{GROUPS}devs/", {"name": "x"}, format="json").status_code == 403
    assert as_bob.delete(f"{GROUPS}devs/").status_code == 403
    assert as_bob.post(f"{GROUPS}devs/members/", {"username": "carol"}).status_code == 403


def test_a_team_shows_its_repository_permissions(as_alice, devs, app, site):
    services.team_permission_set(repository=app, team=devs, permission="write")
    services.team_permission_set(repository=site, team=devs, permission="admin")

    response = as_alice.get(f"{GROUPS}devs/")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "devs" and body["member_count"] == 1
    assert body["repositories"] == [
        {"repository": "acme/app", "permission": "write"},
        {"repository": "acme/site", "permission": "admin"},
    ]


def test_a_team_hides_private_repositories_the_caller_may_not_read(as_alice, as_bob, acme, app):
    ops = services.team_create(org=acme, name="ops")
    services.team_permission_set(repository=app, team=ops, permission="read")

    # bob is a member of acme in no team: he sees ops, not the private acme/app
    assert as_bob.get(f"{GROUPS}ops/").json()["repositories"] == []
    assert as_alice.get(f"{GROUPS}ops/").json()["repositories"] == [
        {"repository": "acme/app", "permission": "read"}
    ]


def test_an_unknown_team_is_404(as_alice, acme):
    response = as_alice.get(f"{GROUPS}nope/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No team nope in acme"}


def test_owners_rename_and_describe_a_team(as_alice, devs):
    response = as_alice.patch(
        f"{GROUPS}devs/", {"name": "developers", "description": "All of them"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["name"] == "developers"
    assert response.json()["description"] == "All of them"
    assert as_alice.get(f"{GROUPS}devs/").status_code == 404


def test_owners_delete_a_team_and_its_members_stay(as_alice, devs, bob, acme):
    assert as_alice.delete(f"{GROUPS}devs/").status_code == 204
    assert not Team.objects.filter(pk=devs.pk).exists()
    assert Membership.objects.filter(namespace=acme, user=bob).exists()


def test_team_members_are_listed(as_bob, devs):
    response = as_bob.get(f"{GROUPS}devs/members/")

    assert response.status_code == 200
    assert [m["username"] for m in response.json()["results"]] == ["bob"]


def test_adding_someone_to_a_team_makes_them_a_member(as_alice, devs, carol, acme):
    response = as_alice.post(f"{GROUPS}devs/members/", {"username": "carol"}, format="json")

    assert response.status_code == 201
    assert response.json()["username"] == "carol"
    assert Membership.objects.get(namespace=acme, user=carol).role == "member"
    assert TeamMember.objects.filter(team=devs, user=carol).exists()


def test_adding_a_team_member_twice_is_refused(as_alice, devs):
    response = as_alice.post(f"{GROUPS}devs/members/", {"username": "bob"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"username": ["bob is already in devs."]}


def test_owners_take_someone_out_of_a_team(as_alice, devs, bob, acme):
    response = as_alice.delete(f"{GROUPS}devs/members/bob/")

    assert response.status_code == 204
    assert not TeamMember.objects.filter(team=devs, user=bob).exists()
    assert Membership.objects.filter(namespace=acme, user=bob).exists()
    gone = as_alice.delete(f"{GROUPS}devs/members/bob/")
    assert gone.status_code == 404
    assert gone.json() == {"detail": "bob is not in devs."}


def test_robots_cannot_manage_teams(acme, alice, devs):
    _, robot = make_robot(acme, alice, repositories=["*"], actions=["pull", "push", "delete"])

    response = robot.post(GROUPS, {"name": "bots"}, format="json")

    assert response.status_code == 403
    assert robot.delete(f"{GROUPS}devs/").status_code == 403
    assert robot.get(GROUPS).status_code == 404


@pytest.mark.parametrize("teams", [1, 8])
def test_team_list_queries_are_constant(django_assert_num_queries, as_alice, acme, teams):
    for i in range(teams):
        team = services.team_create(org=acme, name=f"team{i}")
        services.team_member_add(team=team, username="bob")
    # token's user, organization, caller's role, count, page with member counts
    with django_assert_num_queries(5):
        response = as_alice.get(GROUPS)
    assert response.json()["count"] == teams
    assert all(t["member_count"] == 1 for t in response.json()["results"])
