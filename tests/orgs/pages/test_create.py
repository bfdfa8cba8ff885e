"""Creating an organization, and finding it again: the user menu and /u/<org>/."""

import pytest

from hub.models import Namespace
from orgs.models import Membership
from tests.orgs.pages.conftest import main


def test_signed_out_people_are_sent_to_sign_in(client, db):
    response = client.get("/orgs/new/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/orgs/new/"


def test_creating_an_organization_makes_the_creator_its_owner(client, alice):
    client.force_login(alice)
    response = client.post("/orgs/new/", {"name": "acme", "full_name": "Acme Corp."}, follow=True)
    assert response.redirect_chain == [("/orgs/acme/", 302)]
    page = response.content.decode()
    assert "Created acme. You are its owner: add members and teams next." in page
    assert "<h1>acme</h1>" in page and "Acme Corp." in page
    org = Namespace.objects.get(name="acme")
    assert org.is_org and org.full_name == "Acme Corp."
    assert Membership.objects.get(namespace=org).user == alice


@pytest.mark.parametrize(
    "name, message",
    [
        ("alice", "That name is taken."),  # a user's
        ("acme", "That name is taken."),  # an organization's
        ("library", "“library” is reserved; please choose another name."),
        ("orgs", "“orgs” is reserved; please choose another name."),
        ("Acme", "Use lowercase letters only (a–z) and digits; no capitals."),
        ("ac-me", "Use only lowercase letters (a–z) and digits (0–9): no spaces, dots or dashes."),
        ("abc", "Names are 4 to 30 characters long; this one has 3."),
    ],
)
def test_bad_names_are_refused_next_to_the_field(client, alice, acme, name, message):
    client.force_login(alice)
    response = client.post("/orgs/new/", {"name": name})
    assert response.status_code == 200
    assert f'<p class="error" id="id_name_error">{message}</p>' in main(response)
    assert Namespace.objects.filter(kind=Namespace.Kind.ORG).count() == 1


def test_an_empty_name_is_required(client, alice):
    client.force_login(alice)
    page = main(client.post("/orgs/new/", {"name": ""}))
    assert '<p class="error" id="id_name_error">This field is required.</p>' in page


def test_the_user_menu_lists_ones_organizations_and_offers_to_create_one(client, bob, acme):
    client.force_login(bob)
    html = client.get("/").content.decode()
    menu = html[html.index('<details class="usermenu">') : html.index("</details>")]
    assert '<a role="menuitem" class="menu-org" href="/orgs/acme/">acme</a>' in menu
    assert '<a role="menuitem" href="/orgs/new/">Create organization</a>' in menu


def test_the_user_menu_of_someone_in_no_organization_has_only_the_create_link(client, carol):
    client.force_login(carol)
    html = client.get("/").content.decode()
    menu = html[html.index('<details class="usermenu">') : html.index("</details>")]
    assert "menu-org" not in menu and "Organizations</span>" not in menu
    assert "Create organization" in menu


def test_the_profile_url_of_an_organization_leads_to_its_page(client, acme):
    response = client.get("/u/acme/")
    assert response.status_code == 302
    assert response["Location"] == "/orgs/acme/"


def test_profiles_of_users_and_of_nobody_are_unchanged(client, alice):
    assert client.get("/u/alice/").status_code == 200
    assert client.get("/u/nobody/").status_code == 404


def test_a_users_namespace_is_no_organization_page(client, alice):
    assert client.get("/orgs/alice/").status_code == 404
    assert client.get("/orgs/nothing/").status_code == 404
