"""The Settings tab (owners): the full name, and deleting the organization."""

from accounts.models import User
from hub.models import Namespace, Repository
from orgs.models import Membership
from orgs.robots import robot_create
from tests.orgs.pages.conftest import main


def test_the_owner_changes_the_full_name(client, alice, acme):
    client.force_login(alice)
    page = main(client.get("/orgs/acme/settings/"))
    assert 'value="Acme Corp."' in page
    response = client.post("/orgs/acme/settings/", {"org-full_name": "Acme Ltd."}, follow=True)
    assert response.redirect_chain == [("/orgs/acme/settings/", 302)]
    assert "Settings saved." in response.content.decode()
    acme.refresh_from_db()
    assert acme.full_name == "Acme Ltd."


def test_a_too_long_full_name_is_refused(client, alice, acme):
    client.force_login(alice)
    page = main(client.post("/orgs/acme/settings/", {"org-full_name": "x" * 101}))
    assert (
        '<p class="error" id="id_org-full_name_error">'
        "Ensure this value has at most 100 characters (it has 101).</p>"
    ) in page


def test_deleting_needs_the_name_typed(client, alice, app):
    client.force_login(alice)
    response = client.post("/orgs/acme/delete/", {"delete-confirm": "acme-typo"})
    assert response.status_code == 200
    assert (
        '<p class="error" id="id_delete-confirm_error">'
        "That is not the organization&#x27;s name. Type acme exactly.</p>"
    ) in main(response)
    assert Namespace.objects.filter(name="acme").exists()


def test_the_owner_deletes_the_organization_with_everything_in_it(client, alice, app, devs):
    robot_create(namespace=app.namespace, name="ci", created_by=alice, repositories=["*"],
                 actions=["pull"])  # fmt: skip
    client.force_login(alice)
    response = client.post("/orgs/acme/delete/", {"delete-confirm": "acme"}, follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert "Deleted acme with all its repositories, teams and robots." in response.content.decode()
    assert not Namespace.objects.filter(name="acme").exists()
    assert not Repository.objects.exists() and not Membership.objects.exists()
    assert not User.objects.filter(username="acme+ci").exists()
    assert client.get("/orgs/acme/").status_code == 404


def test_members_and_outsiders_cannot_reach_settings(client, bob, carol, acme):
    for who in (bob, carol):
        client.force_login(who)
        assert client.get("/orgs/acme/settings/").status_code == 404
        assert client.post("/orgs/acme/settings/", {"org-full_name": "x"}).status_code == 404
        assert client.post("/orgs/acme/delete/", {"delete-confirm": "acme"}).status_code == 404
    acme.refresh_from_db()
    assert acme.full_name == "Acme Corp."


def test_staff_manage_any_organization(client, staff, acme):
    client.force_login(staff)
    client.post("/orgs/acme/settings/", {"org-full_name": "Seized"})
    acme.refresh_from_db()
    assert acme.full_name == "Seized"
