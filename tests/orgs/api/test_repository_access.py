import pytest

from hub.services import repository_create
from orgs import services
from orgs.models import Collaborator, TeamPermission
from tests.api.conftest import signed_in
from tests.orgs.api.conftest import make_robot

APP = "/api/v2/repositories/acme/app/"
VAULT = "/api/v2/repositories/alice/vault/"
TEAMS_ONLY = (
    "Teams are for organizations' repositories; give people access to a user's repository as "
    "collaborators."
)


@pytest.fixture
def vault(alice):
    return repository_create(user=alice, namespace="alice", name="vault", is_private=True)


def test_a_team_member_with_write_sees_write_but_not_admin(as_bob, devs, app):
    services.team_permission_set(repository=app, team=devs, permission="write")

    response = as_bob.get(APP)

    assert response.status_code == 200
    assert response.json()["permissions"] == {"read": True, "write": True, "admin": False}


def test_admins_give_a_team_a_permission(as_alice, as_bob, devs, app):
    assert as_bob.get(APP).status_code == 404

    response = as_alice.post(
        f"{APP}groups/", {"group_name": "devs", "permission": "read"}, format="json"
    )

    assert response.status_code == 201
    assert response.json() == {"group_name": "devs", "permission": "read"}
    assert as_bob.get(APP).json()["permissions"] == {"read": True, "write": False, "admin": False}
    listed = as_alice.get(f"{APP}groups/").json()
    assert listed["results"] == [{"group_name": "devs", "permission": "read"}]


def test_admins_change_and_remove_a_teams_permission(as_alice, as_bob, devs, app):
    services.team_permission_set(repository=app, team=devs, permission="read")

    changed = as_alice.patch(f"{APP}groups/devs/", {"permission": "admin"}, format="json")
    assert changed.status_code == 200 and changed.json()["permission"] == "admin"
    assert as_bob.get(APP).json()["permissions"]["admin"] is True

    assert as_alice.delete(f"{APP}groups/devs/").status_code == 204
    assert not TeamPermission.objects.filter(team=devs).exists()
    assert as_bob.get(APP).status_code == 404


def test_a_team_without_a_permission_is_404(as_alice, devs, app):
    response = as_alice.patch(f"{APP}groups/devs/", {"permission": "write"}, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "devs has no permission on acme/app."}


def test_an_unknown_team_is_refused(as_alice, acme, app):
    response = as_alice.post(
        f"{APP}groups/", {"group_name": "ghosts", "permission": "read"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"group_name": ["acme has no team 'ghosts'."]}


def test_an_unknown_permission_is_refused(as_alice, devs, app):
    response = as_alice.post(
        f"{APP}groups/", {"group_name": "devs", "permission": "owner"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"permission": ['"owner" is not a valid choice.']}


def test_teams_are_for_organization_repositories_only(as_alice, vault):
    response = as_alice.post(
        f"{VAULT}groups/", {"group_name": "devs", "permission": "read"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"group_name": [TEAMS_ONLY]}


def test_a_writer_sees_the_repository_but_may_not_manage_it(as_bob, devs, app):
    services.team_permission_set(repository=app, team=devs, permission="write")

    listed = as_bob.get(f"{APP}groups/")
    granted = as_bob.post(
        f"{APP}groups/", {"group_name": "devs", "permission": "admin"}, format="json"
    )

    assert listed.status_code == 403
    assert listed.json()["detail"].startswith("Only the repository's admins")
    assert granted.status_code == 403


def test_those_who_cannot_see_the_repository_get_404(as_carol, as_bob, devs, app):
    assert as_carol.get(f"{APP}groups/").status_code == 404
    assert as_bob.get(f"{APP}groups/").status_code == 404  # a member without a team on it
    assert as_carol.get(f"{APP}collaborators/").status_code == 404


def test_a_team_admin_manages_the_repositorys_teams(as_bob, acme, devs, app):
    services.team_permission_set(repository=app, team=devs, permission="admin")
    services.team_create(org=acme, name="ops")

    response = as_bob.post(
        f"{APP}groups/", {"group_name": "ops", "permission": "read"}, format="json"
    )

    assert response.status_code == 201


def test_an_editor_manages_team_access(acme, devs, app, dave):
    services.member_add(org=acme, username="dave", role="editor")

    response = signed_in(dave).post(
        f"{APP}groups/", {"group_name": "devs", "permission": "write"}, format="json"
    )

    assert response.status_code == 201


def test_robots_cannot_manage_permissions(acme, alice, devs, app):
    _, robot = make_robot(acme, alice, actions=["pull", "push", "delete"])

    response = robot.post(
        f"{APP}groups/", {"group_name": "devs", "permission": "admin"}, format="json"
    )

    assert response.status_code == 403
    assert robot.get(f"{APP}groups/").status_code == 403


def test_the_owner_adds_a_collaborator(as_alice, as_carol, vault, carol):
    assert as_carol.get(VAULT).status_code == 404

    response = as_alice.post(
        f"{VAULT}collaborators/", {"username": "carol", "permission": "read"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["username"] == "carol" and response.json()["permission"] == "read"
    assert as_carol.get(VAULT).json()["permissions"] == {
        "read": True,
        "write": False,
        "admin": False,
    }
    listed = as_alice.get(f"{VAULT}collaborators/").json()["results"]
    assert [(c["username"], c["permission"]) for c in listed] == [("carol", "read")]


def test_the_owner_changes_and_removes_a_collaborator(as_alice, as_carol, vault, carol):
    services.collaborator_set(repository=vault, username="carol", permission="read")

    changed = as_alice.patch(f"{VAULT}collaborators/carol/", {"permission": "write"}, format="json")
    assert changed.status_code == 200 and changed.json()["permission"] == "write"
    assert as_carol.get(VAULT).json()["permissions"]["write"] is True

    assert as_alice.delete(f"{VAULT}collaborators/carol/").status_code == 204
    assert not Collaborator.objects.exists()
    assert as_carol.get(VAULT).status_code == 404


def test_a_collaborator_with_write_may_not_manage_collaborators(as_carol, vault, carol):
    services.collaborator_set(repository=vault, username="carol", permission="write")

    response = as_carol.get(f"{VAULT}collaborators/")
    assert response.status_code == 403


def test_a_collaborator_with_admin_manages_collaborators(as_carol, vault, carol, dave):
    services.collaborator_set(repository=vault, username="carol", permission="admin")

    response = as_carol.post(
        f"{VAULT}collaborators/", {"username": "dave", "permission": "read"}, format="json"
    )
    assert response.status_code == 201


def test_collaborators_are_for_users_repositories_only(as_alice, app, carol):
    response = as_alice.post(
        f"{APP}collaborators/", {"username": "carol", "permission": "read"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["username"][0].startswith("Collaborators are for users' own")


def test_a_collaborator_must_be_someone_else(as_alice, vault):
    unknown = as_alice.post(
        f"{VAULT}collaborators/", {"username": "nobody", "permission": "read"}, format="json"
    )
    owner = as_alice.post(
        f"{VAULT}collaborators/", {"username": "alice", "permission": "read"}, format="json"
    )

    assert unknown.json() == {"username": ["There is no user 'nobody'."]}
    assert owner.status_code == 400
    assert owner.json() == {"username": ["alice owns alice/vault already."]}


def test_someone_who_is_no_collaborator_is_404(as_alice, vault, carol):
    response = as_alice.delete(f"{VAULT}collaborators/carol/")

    assert response.status_code == 404
    assert response.json() == {"detail": "carol is not a collaborator on alice/vault."}
