"""The Teams tab and a team's page: owners create, rename, delete teams and set their members."""

import pytest

from hub.services import repository_create
from orgs import services
from orgs.models import Membership, Team, TeamMember
from tests.orgs.pages.conftest import main


def team_members(org, name: str) -> list[str]:
    return sorted(
        TeamMember.objects.filter(team__namespace=org, team__name=name).values_list(
            "user__username", flat=True
        )
    )


def test_members_see_the_teams_with_their_sizes(client, bob, devs):
    client.force_login(bob)
    page = main(client.get("/orgs/acme/teams/"))
    assert '<a class="team-name" href="/orgs/acme/teams/devs/">devs</a>' in page
    assert "<td>The developers</td>" in page and "<td>1</td>" in page
    assert "New team" not in page  # owners only


def test_the_owner_creates_a_team_and_lands_on_its_page(client, alice, acme):
    client.force_login(alice)
    response = client.post(
        "/orgs/acme/teams/", {"name": "ops", "description": "Runs things"}, follow=True
    )
    assert response.redirect_chain == [("/orgs/acme/teams/ops/", 302)]
    assert "Created team ops. Add its members here." in response.content.decode()
    assert Team.objects.get(namespace=acme, name="ops").description == "Runs things"


@pytest.mark.parametrize(
    "name, message",
    [
        ("devs", "acme already has a team devs."),
        (
            "Dev Ops",
            "Team names are 1–50 lowercase letters, digits, - and _, starting with a letter or "
            "digit.",
        ),
        ("", "This field is required."),
    ],
)
def test_bad_team_names_are_refused_next_to_the_field(client, alice, devs, name, message):
    client.force_login(alice)
    response = client.post("/orgs/acme/teams/", {"name": name})
    assert response.status_code == 200
    assert f'<p class="error" id="id_name_error">{message}</p>' in main(response)
    assert Team.objects.count() == 1


def test_a_member_may_not_create_teams(client, bob, acme):
    client.force_login(bob)
    assert client.post("/orgs/acme/teams/", {"name": "ops"}).status_code == 403
    assert not Team.objects.exists()


def test_the_team_page_lists_members_and_repository_permissions(client, bob, devs_write_app):
    client.force_login(bob)
    page = main(client.get("/orgs/acme/teams/devs/"))
    assert '<a href="/u/bob/">bob</a>' in page
    assert '<a href="/r/acme/app/">acme/app</a>' in page and "<td>write</td>" in page
    assert "Add to team" not in page and "Delete this team" not in page  # owners only


def test_private_repositories_stay_unnamed_for_members_outside_the_team(
    client, dave, acme, devs_write_app
):
    services.member_add(org=acme, username="dave", role="member")
    client.force_login(dave)
    page = main(client.get("/orgs/acme/teams/devs/"))
    assert "acme/app" not in page
    assert "devs has no permissions on repositories you can see." in page


def test_an_unknown_team_is_404(client, alice, acme):
    client.force_login(alice)
    assert client.get("/orgs/acme/teams/nope/").status_code == 404


def test_the_owner_adds_a_user_who_thereby_joins_the_organization(client, alice, carol, devs):
    client.force_login(alice)
    response = client.post(
        "/orgs/acme/teams/devs/members/", {"member-username": "carol"}, follow=True
    )
    assert response.redirect_chain == [("/orgs/acme/teams/devs/", 302)]
    assert "Added carol to devs." in response.content.decode()
    assert team_members(devs.namespace, "devs") == ["bob", "carol"]
    assert Membership.objects.get(namespace=devs.namespace, user=carol).role == "member"


@pytest.mark.parametrize(
    "username, message",
    [
        ("nobody", "There is no user &#x27;nobody&#x27;."),
        ("bob", "bob is already in devs."),
        ("", "This field is required."),
    ],
)
def test_adding_a_team_member_shows_what_is_wrong(client, alice, devs, username, message):
    client.force_login(alice)
    response = client.post("/orgs/acme/teams/devs/members/", {"member-username": username})
    assert response.status_code == 200
    assert f'<p class="error" id="id_member-username_error">{message}</p>' in main(response)


def test_the_owner_removes_a_team_member_who_stays_in_the_organization(client, alice, bob, devs):
    client.force_login(alice)
    response = client.post("/orgs/acme/teams/devs/members/bob/remove/", follow=True)
    assert "Removed bob from devs; they stay in acme." in response.content.decode()
    assert team_members(devs.namespace, "devs") == []
    assert Membership.objects.filter(namespace=devs.namespace, user=bob).exists()


def test_removing_someone_not_in_the_team_says_so(client, alice, devs):
    client.force_login(alice)
    response = client.post("/orgs/acme/teams/devs/members/alice/remove/", follow=True)
    assert "alice is not in devs." in response.content.decode()


def test_the_owner_renames_a_team(client, alice, devs):
    client.force_login(alice)
    response = client.post(
        "/orgs/acme/teams/devs/", {"team-name": "builders", "team-description": "New"}, follow=True
    )
    assert response.redirect_chain == [("/orgs/acme/teams/builders/", 302)]
    assert "Saved team builders." in response.content.decode()
    devs.refresh_from_db()
    assert (devs.name, devs.description) == ("builders", "New")


def test_renaming_to_a_taken_name_is_refused(client, alice, devs):
    services.team_create(org=devs.namespace, name="ops")
    client.force_login(alice)
    response = client.post("/orgs/acme/teams/devs/", {"team-name": "ops"})
    assert response.status_code == 200
    assert '<p class="error" id="id_team-name_error">There already is a team ops.</p>' in main(
        response
    )
    devs.refresh_from_db()
    assert devs.name == "devs"


def test_the_owner_deletes_a_team(client, alice, bob, devs):
    client.force_login(alice)
    response = client.post("/orgs/acme/teams/devs/delete/", follow=True)
    assert response.redirect_chain == [("/orgs/acme/teams/", 302)]
    assert "Deleted team devs; its members stay in acme." in response.content.decode()
    assert not Team.objects.exists()
    assert Membership.objects.filter(user=bob).exists()


@pytest.mark.parametrize(
    "path, data",
    [
        ("/orgs/acme/teams/devs/", {"team-name": "x"}),
        ("/orgs/acme/teams/devs/delete/", {}),
        ("/orgs/acme/teams/devs/members/", {"member-username": "carol"}),
        ("/orgs/acme/teams/devs/members/bob/remove/", {}),
    ],
)
def test_members_may_not_change_teams_and_outsiders_find_nothing(
    client, bob, carol, devs, path, data
):
    client.force_login(bob)
    assert client.post(path, data).status_code == 403
    client.force_login(carol)
    assert client.post(path, data).status_code == 404
    client.logout()
    assert client.post(path, data).status_code == 404
    assert team_members(devs.namespace, "devs") == ["bob"]


def test_team_text_is_escaped(client, alice, acme):
    services.team_create(org=acme, name="web", description="<img src=x onerror=alert(1)>")
    repository_create(user=alice, namespace="acme", name="web")
    client.force_login(alice)
    page = main(client.get("/orgs/acme/teams/web/"))
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
