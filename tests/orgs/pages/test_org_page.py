"""The organization page: who sees which tab, and which repositories each viewer finds."""

import pytest

from hub.services import repository_create
from orgs import services
from tests.orgs.pages.conftest import main

TABS = {
    "members": "/orgs/acme/members/",
    "teams": "/orgs/acme/teams/",
    "team": "/orgs/acme/teams/devs/",
    "robots": "/orgs/acme/robots/",
    "settings": "/orgs/acme/settings/",
}
# Who may see each tab: members see members and teams; only owners robots and settings.
SEES = {
    "anonymous": set(),
    "carol": set(),  # not a member
    "bob": {"members", "teams", "team"},  # a member
    "alice": set(TABS),  # the owner
    "harbourmaster": set(TABS),  # staff count as owners
}


def sign_in(client, request, who: str):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who if who != "harbourmaster" else "staff"))


@pytest.mark.parametrize("who", SEES)
@pytest.mark.parametrize("tab", TABS)
def test_tabs_are_there_for_those_who_may_see_them_and_404_for_everyone_else(
    client, request, devs, who, tab
):
    sign_in(client, request, who)
    response = client.get(TABS[tab])
    assert response.status_code == (200 if tab in SEES[who] else 404)


@pytest.mark.parametrize("who", SEES)
def test_the_tab_bar_offers_only_the_tabs_one_may_see(client, request, acme, who):
    sign_in(client, request, who)
    page = main(client.get("/orgs/acme/"))
    for tab in ("members", "teams", "robots", "settings"):
        assert (f'href="/orgs/acme/{tab}/"' in page) == (tab in SEES[who])


def names(response) -> list[str]:
    return [repo.full_name for repo in response.context["repositories"]]


def test_everyone_sees_the_public_repositories(client, app, site):
    response = client.get("/orgs/acme/")
    assert response.status_code == 200
    assert names(response) == ["acme/site"]
    assert "Acme Corp." in main(response)


def test_a_member_without_a_team_sees_only_public_repositories(client, bob, app, site):
    client.force_login(bob)
    assert names(client.get("/orgs/acme/")) == ["acme/site"]


def test_a_team_member_sees_the_private_repositories_of_the_team(
    client, bob, carol, site, devs_write_app
):
    client.force_login(bob)
    assert sorted(names(client.get("/orgs/acme/"))) == ["acme/app", "acme/site"]
    client.force_login(carol)
    assert names(client.get("/orgs/acme/")) == ["acme/site"]


def test_the_owner_sees_every_repository_and_may_create_more(client, alice, app, site):
    client.force_login(alice)
    response = client.get("/orgs/acme/")
    assert sorted(names(response)) == ["acme/app", "acme/site"]
    assert 'href="/repositories/new/?namespace=acme">New repository</a>' in main(response)


def test_an_editor_may_create_repositories_a_member_may_not(client, bob, dave, acme):
    services.member_add(org=acme, username="dave", role="editor")
    client.force_login(dave)
    assert "New repository" in main(client.get("/orgs/acme/"))
    client.force_login(bob)
    page = main(client.get("/orgs/acme/"))
    assert "New repository" not in page
    assert "acme has no repositories you can see yet." in page


def test_names_on_the_page_are_escaped(client, alice, acme):
    services.org_update(org=acme, full_name="<script>alert(1)</script>")
    repository_create(user=alice, namespace="acme", name="web", description="<b>bold</b>")
    page = main(client.get("/orgs/acme/"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
