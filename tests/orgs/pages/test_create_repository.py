"""The create-repository form offers every namespace one may create in, organizations too."""

from hub.models import Repository
from orgs import services
from tests.orgs.pages.conftest import main


def choices(response) -> list[str]:
    return [value for value, _ in response.context["form"].fields["namespace"].choices]


def test_an_editor_creates_a_repository_of_the_organization(client, dave, acme):
    services.member_add(org=acme, username="dave", role="editor")
    client.force_login(dave)
    response = client.get("/repositories/new/?namespace=acme")
    assert choices(response) == ["dave", "acme"]
    assert '<option value="acme" selected>acme</option>' in main(response)
    response = client.post(
        "/repositories/new/",
        {"namespace": "acme", "name": "app", "visibility": "private"},
        follow=True,
    )
    assert response.redirect_chain == [("/r/acme/app/", 302)]
    assert "Created acme/app. Push to it any time." in response.content.decode()
    repo = Repository.objects.get(namespace__name="acme", name="app")
    assert repo.is_private and repo.namespace.is_org


def test_owners_get_their_organizations_and_staff_library_too(client, alice, staff, acme):
    services.org_create(user=alice, name="beta")
    client.force_login(alice)
    assert choices(client.get("/repositories/new/")) == ["alice", "acme", "beta"]
    client.force_login(staff)
    assert choices(client.get("/repositories/new/")) == ["harbourmaster", "library"]


def test_a_plain_member_cannot_create_in_the_organization(client, bob, acme):
    client.force_login(bob)
    response = client.get("/repositories/new/?namespace=acme")
    assert choices(response) == ["bob"]
    response = client.post("/repositories/new/", {"namespace": "acme", "name": "app",
                                                  "visibility": "public"})  # fmt: skip
    assert (
        '<p class="error" id="id_namespace_error">'
        "Select a valid choice. acme is not one of the available choices.</p>"
    ) in main(response)
    assert not Repository.objects.exists()
