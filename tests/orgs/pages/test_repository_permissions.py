"""A repository's Settings → Permissions: teams on organization repositories, collaborators on
users' own; only repository admins see or change them."""

import pytest

from hub.services import repository_create
from orgs import services
from orgs.models import Collaborator, TeamPermission
from tests.orgs.pages.conftest import main

PAGE = "/r/acme/app/settings/permissions/"


def level(team) -> str | None:
    grant = TeamPermission.objects.filter(team=team).first()
    return grant.get_level_display() if grant else None


@pytest.fixture
def vault(alice):
    return repository_create(user=alice, namespace="alice", name="vault", is_private=True)


def test_the_settings_tab_links_to_permissions(client, alice, app):
    client.force_login(alice)
    page = main(client.get("/r/acme/app/settings/"))
    assert f'href="{PAGE}">Permissions</a>' in page


def test_an_org_owner_gives_a_team_access(client, alice, bob, devs, app):
    client.force_login(alice)
    page = main(client.get(PAGE))
    assert '<option value="devs">devs</option>' in page
    response = client.post(PAGE, {"add-team": "devs", "add-permission": "write"}, follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    assert "devs has write on acme/app." in response.content.decode()
    assert level(devs) == "write"
    page = main(response)
    assert '<a href="/orgs/acme/teams/devs/">devs</a>' in page
    assert '<option value="write" selected>Write</option>' in page
    assert "Every team of acme has a permission already." in page
    client.force_login(bob)
    assert client.get("/r/acme/app/").status_code == 200


def test_the_owner_changes_and_removes_a_teams_permission(client, alice, devs_write_app):
    devs = devs_write_app.team
    client.force_login(alice)
    response = client.post(PAGE + "devs/", {"permission": "admin"}, follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    assert "devs has admin on acme/app." in response.content.decode()
    assert level(devs) == "admin"
    response = client.post(PAGE + "devs/remove/", follow=True)
    assert "devs no longer has admin on acme/app." in response.content.decode()
    assert level(devs) is None


def test_an_unknown_permission_is_refused(client, alice, devs, app):
    client.force_login(alice)
    response = client.post(PAGE, {"add-team": "devs", "add-permission": "root"})
    assert (
        '<p class="error" id="id_add-permission_error">'
        "Select a valid choice. root is not one of the available choices.</p>"
    ) in main(response)
    response = client.post(PAGE + "devs/", {"permission": "root"}, follow=True)
    assert response.status_code == 404  # devs has nothing on app to change
    services.team_permission_set(repository=app, team=devs, permission="read")
    response = client.post(PAGE + "devs/", {"permission": "root"}, follow=True)
    assert "Permission is one of read, write, admin." in response.content.decode()
    assert level(devs) == "read"


def test_a_team_of_another_organization_is_no_choice(client, alice, acme, app):
    other = services.org_create(user=alice, name="beta")
    services.team_create(org=other, name="outsiders")
    client.force_login(alice)
    page = main(client.get(PAGE))
    assert "acme has no teams yet" in page
    response = client.post(PAGE, {"add-team": "outsiders", "add-permission": "admin"})
    assert response.status_code == 200
    assert not TeamPermission.objects.exists()


def test_a_team_admin_manages_permissions_a_team_writer_may_not(client, bob, devs_write_app):
    client.force_login(bob)
    assert client.get(PAGE).status_code == 404
    assert client.post(PAGE + "devs/", {"permission": "admin"}).status_code == 404
    assert "Settings</a>" not in main(client.get("/r/acme/app/"))
    services.team_permission_set(repository=devs_write_app.repository, team=devs_write_app.team,
                                 permission="admin")  # fmt: skip
    assert client.get(PAGE).status_code == 200


def test_a_team_admin_who_removes_their_own_access_lands_where_they_still_can_go(
    client, bob, devs_write_app
):
    services.team_permission_set(repository=devs_write_app.repository, team=devs_write_app.team,
                                 permission="admin")  # fmt: skip
    client.force_login(bob)
    response = client.post(PAGE + "devs/", {"permission": "read"})
    assert response["Location"] == "/r/acme/app/"
    response = client.post("/r/acme/app/settings/permissions/devs/remove/")
    assert response.status_code == 404  # read only now: no longer an admin


@pytest.mark.parametrize("who", ["carol", "anonymous"])
def test_outsiders_get_404(client, request, devs_write_app, who):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    assert client.get(PAGE).status_code == 404
    assert client.post(PAGE, {"add-team": "devs", "add-permission": "admin"}).status_code == 404
    assert client.post(PAGE + "devs/remove/").status_code == 404
    assert level(devs_write_app.team) == "write"


# --- collaborators on a user's own repository ---

VAULT = "/r/alice/vault/settings/permissions/"


def test_the_owner_adds_a_collaborator(client, alice, bob, vault):
    client.force_login(alice)
    assert "No collaborators yet." in main(client.get(VAULT))
    response = client.post(VAULT, {"add-username": "bob", "add-permission": "read"}, follow=True)
    assert response.redirect_chain == [(VAULT, 302)]
    assert "bob has read on alice/vault." in response.content.decode()
    assert '<a href="/u/bob/">bob</a>' in main(response)
    client.force_login(bob)
    assert client.get("/r/alice/vault/").status_code == 200
    assert client.get(VAULT).status_code == 404


@pytest.mark.parametrize(
    "username, message",
    [
        ("nobody", "There is no user &#x27;nobody&#x27;."),
        ("alice", "alice owns alice/vault already."),
        ("", "This field is required."),
    ],
)
def test_adding_a_collaborator_shows_what_is_wrong(client, alice, vault, username, message):
    client.force_login(alice)
    response = client.post(VAULT, {"add-username": username, "add-permission": "read"})
    assert response.status_code == 200
    assert f'<p class="error" id="id_add-username_error">{message}</p>' in main(response)
    assert not Collaborator.objects.exists()


def test_the_owner_changes_and_removes_a_collaborator(client, alice, bob, vault):
    services.collaborator_set(repository=vault, username="bob", permission="read")
    client.force_login(alice)
    response = client.post(VAULT + "bob/", {"permission": "admin"}, follow=True)
    assert "bob has admin on alice/vault." in response.content.decode()
    assert Collaborator.objects.get(user=bob).get_level_display() == "admin"
    response = client.post(VAULT + "bob/remove/", follow=True)
    assert "bob no longer has admin on alice/vault." in response.content.decode()
    assert not Collaborator.objects.exists()
    client.force_login(bob)
    assert client.get("/r/alice/vault/").status_code == 404


def test_changing_someone_who_is_no_collaborator_is_404(client, alice, bob, vault):
    client.force_login(alice)
    assert client.post(VAULT + "bob/", {"permission": "admin"}).status_code == 404
    assert not Collaborator.objects.exists()


def test_an_admin_collaborator_manages_collaborators(client, alice, bob, carol, vault):
    services.collaborator_set(repository=vault, username="bob", permission="admin")
    client.force_login(bob)
    client.post(VAULT, {"add-username": "carol", "add-permission": "write"})
    assert Collaborator.objects.get(user=carol).get_level_display() == "write"


def test_official_repositories_have_no_teams_or_collaborators(client, staff):
    repository_create(user=staff, namespace="library", name="base")
    client.force_login(staff)
    page = main(client.get("/_/base/settings/permissions/"))
    assert "Official repositories are managed by the hub’s staff" in page
    assert "<form" not in page.split('class="crumbs"')[1]
    assert client.post("/_/base/settings/permissions/staff/remove/").status_code == 404
