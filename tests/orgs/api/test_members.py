import pytest

from orgs import services
from orgs.models import Membership, TeamMember
from tests.api.conftest import signed_in
from tests.factories import UserFactory
from tests.orgs.api.conftest import make_robot

MEMBERS = "/api/v2/orgs/acme/members/"
LAST_OWNER = "acme must keep at least one owner: make someone else an owner first."


def test_members_see_who_is_in_it(as_bob, acme):
    response = as_bob.get(MEMBERS)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [(m["username"], m["role"]) for m in body["results"]] == [
        ("alice", "owner"),
        ("bob", "member"),
    ]
    assert body["results"][0]["joined"]


def test_outsiders_get_404_for_the_members(as_carol, api, acme):
    for client in (as_carol, api):
        response = client.get(MEMBERS)
        assert response.status_code == 404
        assert response.json() == {"detail": "No organization acme that you are a member of."}


def test_owners_add_members_with_a_role(as_alice, acme, dave):
    response = as_alice.post(MEMBERS, {"username": "dave", "role": "editor"}, format="json")

    assert response.status_code == 201
    assert response.json()["username"] == "dave" and response.json()["role"] == "editor"
    assert Membership.objects.get(namespace=acme, user=dave).role == "editor"


def test_the_role_defaults_to_member(as_alice, acme, dave):
    response = as_alice.post(MEMBERS, {"username": "dave"}, format="json")
    assert response.json()["role"] == "member"


def test_adding_someone_who_does_not_exist_is_refused(as_alice, acme):
    response = as_alice.post(MEMBERS, {"username": "nobody"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"username": ["There is no user 'nobody'."]}


def test_adding_a_member_twice_is_refused(as_alice, acme):
    response = as_alice.post(MEMBERS, {"username": "bob"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"username": ["bob is already a member of acme."]}


def test_an_unknown_role_is_refused(as_alice, acme, dave):
    response = as_alice.post(MEMBERS, {"username": "dave", "role": "boss"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"role": ['"boss" is not a valid choice.']}


def test_a_member_cannot_add_members(as_bob, acme, dave):
    response = as_bob.post(MEMBERS, {"username": "dave"}, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": "Only owners of acme can do this."}


def test_an_outsider_cannot_add_members_and_gets_404(as_carol, acme, dave):
    response = as_carol.post(MEMBERS, {"username": "dave"}, format="json")
    assert response.status_code == 404


def test_an_editor_cannot_add_members(acme, dave):
    editor = UserFactory()
    services.member_add(org=acme, username=editor.username, role="editor")

    response = signed_in(editor).post(MEMBERS, {"username": "dave"}, format="json")
    assert response.status_code == 403


def test_owners_change_roles(as_alice, acme):
    response = as_alice.patch(f"{MEMBERS}bob/", {"role": "owner"}, format="json")

    assert response.status_code == 200
    assert response.json()["role"] == "owner"


def test_the_last_owner_cannot_step_down(as_alice, acme):
    response = as_alice.patch(f"{MEMBERS}alice/", {"role": "member"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"role": [LAST_OWNER]}


def test_an_owner_steps_down_when_another_owner_remains(as_alice, acme):
    as_alice.patch(f"{MEMBERS}bob/", {"role": "owner"}, format="json")

    response = as_alice.patch(f"{MEMBERS}alice/", {"role": "editor"}, format="json")
    assert response.status_code == 200


def test_changing_someone_who_is_not_a_member_is_404(as_alice, acme, carol):
    response = as_alice.patch(f"{MEMBERS}carol/", {"role": "owner"}, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "carol is not a member of acme"}


def test_a_member_cannot_change_roles(as_bob, acme):
    response = as_bob.patch(f"{MEMBERS}bob/", {"role": "owner"}, format="json")
    assert response.status_code == 403


def test_a_member_leaves(as_bob, acme, devs, bob):
    response = as_bob.delete(f"{MEMBERS}bob/")

    assert response.status_code == 204
    assert not Membership.objects.filter(namespace=acme, user=bob).exists()
    assert not TeamMember.objects.filter(user=bob).exists()
    assert as_bob.get(MEMBERS).status_code == 404


def test_the_last_owner_cannot_leave(as_alice, acme):
    response = as_alice.delete(f"{MEMBERS}alice/")

    assert response.status_code == 400
    assert response.json() == {"role": [LAST_OWNER]}


def test_a_member_cannot_remove_someone_else(as_bob, acme):
    response = as_bob.delete(f"{MEMBERS}alice/")

    assert response.status_code == 403
    assert response.json() == {"detail": "Only owners of acme can do this."}


def test_owners_remove_members(as_alice, acme, bob):
    assert as_alice.delete(f"{MEMBERS}bob/").status_code == 204
    assert not Membership.objects.filter(namespace=acme, user=bob).exists()


def test_robots_cannot_manage_members(acme, alice, dave):
    _, robot = make_robot(acme, alice, repositories=["*"], actions=["pull", "push", "delete"])

    added = robot.post(MEMBERS, {"username": "dave"}, format="json")

    assert added.status_code == 403
    assert added.json()["detail"].startswith("Robot accounts cannot manage")
    assert robot.delete(f"{MEMBERS}bob/").status_code == 403
    assert robot.get(MEMBERS).status_code == 404  # a robot is no member


@pytest.mark.parametrize("extra", [0, 8])
def test_member_list_queries_are_constant(django_assert_num_queries, as_alice, acme, extra):
    for _ in range(extra):
        services.member_add(org=acme, username=UserFactory().username)
    # token's user, organization, caller's role, count, page with users joined
    with django_assert_num_queries(5):
        response = as_alice.get(MEMBERS)
    assert response.json()["count"] == 2 + extra
