"""Owners manage repositories in the browser: create, edit settings, delete."""

import pytest

from hub.models import Repository
from tests.hub.conftest import make_repo, push_image


def main(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def settings_data(**overrides):
    data = {
        "settings-description": "Fast web server",
        "settings-full_description": "# Web\n\nServes **pages**.",
        "settings-visibility": "public",
    }
    return {**data, **overrides}


# --- settings ---


def test_settings_form_shows_current_values(client, alice, secret_repo):
    client.force_login(alice)
    page = main(client.get("/r/alice/vault/settings/"))
    assert 'value="Sekrit launch codes"' in page
    assert "# Vault\nThe hidden README</textarea>" in page
    assert 'value="private" required id="id_settings-visibility_1" checked' in page


def test_owner_edits_description_and_readme_and_sees_it_rendered(client, alice, public_repo):
    client.force_login(alice)
    response = client.post("/r/alice/web/settings/", settings_data(), follow=True)
    assert response.redirect_chain == [("/r/alice/web/settings/", 302)]
    assert "Settings saved." in response.content.decode()
    page = main(client.get("/r/alice/web/"))
    assert "Fast web server" in page
    assert "<h1>Web</h1>" in page
    assert "<strong>pages</strong>" in page


def test_owner_makes_a_repository_private(client, alice, bob, public_repo):
    client.force_login(alice)
    client.post("/r/alice/web/settings/", settings_data(**{"settings-visibility": "private"}))
    public_repo.refresh_from_db()
    assert public_repo.is_private
    client.force_login(bob)
    assert client.get("/r/alice/web/").status_code == 404


def test_staff_edits_any_repository(client, staff, public_repo):
    client.force_login(staff)
    client.post("/r/alice/web/settings/", settings_data())
    public_repo.refresh_from_db()
    assert public_repo.description == "Fast web server"


def test_too_long_description_is_refused_next_to_the_field(client, alice, public_repo):
    client.force_login(alice)
    response = client.post(
        "/r/alice/web/settings/", settings_data(**{"settings-description": "x" * 101})
    )
    page = main(response)
    assert response.status_code == 200
    assert (
        '<p class="error" id="id_settings-description_error">'
        "Ensure this value has at most 100 characters (it has 101).</p>"
    ) in page
    public_repo.refresh_from_db()
    assert public_repo.description == "The public web server"


def test_unknown_visibility_is_refused_next_to_the_field(client, alice, public_repo):
    client.force_login(alice)
    page = main(
        client.post("/r/alice/web/settings/", settings_data(**{"settings-visibility": "secret"}))
    )
    assert (
        '<p class="error" id="id_settings-visibility_error">'
        "Select a valid choice. secret is not one of the available choices.</p>"
    ) in page


# --- delete ---


def test_delete_with_the_wrong_name_keeps_the_repository(client, alice, public_repo):
    client.force_login(alice)
    response = client.post("/r/alice/web/delete/", {"delete-confirm": "web"})
    page = main(response)
    assert response.status_code == 200
    assert (
        '<p class="error" id="id_delete-confirm_error">'
        "That is not the repository&#x27;s name. Type alice/web exactly.</p>"
    ) in page
    assert Repository.objects.filter(pk=public_repo.pk).exists()


def test_delete_with_the_right_name_removes_it(client, alice):
    push_image("alice/app:v1")
    tagged_repo = Repository.objects.get(name="app")
    client.force_login(alice)
    response = client.post("/r/alice/app/delete/", {"delete-confirm": "alice/app"}, follow=True)
    assert response.redirect_chain == [("/u/alice/", 302)]
    assert "Deleted alice/app with all its tags." in response.content.decode()
    assert not Repository.objects.filter(pk=tagged_repo.pk).exists()
    assert client.get("/r/alice/app/").status_code == 404


def test_delete_a_repository_holding_a_multi_arch_index(client, alice, tagged_repo):
    client.force_login(alice)
    response = client.post("/r/alice/app/delete/", {"delete-confirm": "alice/app"})
    assert response.status_code == 302
    assert not Repository.objects.filter(pk=tagged_repo.pk).exists()


def test_staff_deletes_an_official_repository_and_lands_on_explore(client, staff):
    from hub.services import repository_create

    repository_create(user=staff, namespace="library", name="busybox")
    client.force_login(staff)
    response = client.post("/_/busybox/delete/", {"delete-confirm": "library/busybox"})
    assert response["Location"] == "/explore/"
    assert not Repository.objects.filter(name="busybox").exists()


def test_settings_page_asks_for_the_full_name(client, alice, public_repo):
    client.force_login(alice)
    assert '<label for="id_delete-confirm">Type alice/web to confirm</label>' in main(
        client.get("/r/alice/web/settings/")
    )


# --- create ---


def test_create_page_needs_sign_in(client, db):
    response = client.get("/repositories/new/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/repositories/new/"


def test_create_offers_own_namespace_only(client, alice):
    client.force_login(alice)
    page = main(client.get("/repositories/new/"))
    assert '<option value="alice">alice</option>' in page
    assert 'value="library"' not in page


def test_staff_may_create_in_library(client, staff):
    client.force_login(staff)
    page = main(client.get("/repositories/new/"))
    assert '<option value="library">library</option>' in page
    response = client.post(
        "/repositories/new/",
        {"namespace": "library", "name": "alpine", "visibility": "public"},
    )
    assert response["Location"] == "/_/alpine/"
    assert Repository.objects.get(name="alpine").is_official


def test_create_a_repository_and_land_on_its_page(client, alice):
    client.force_login(alice)
    response = client.post(
        "/repositories/new/",
        {
            "namespace": "alice",
            "name": "tools/lint",
            "description": "Lints things",
            "full_description": "Use *it*.",
            "visibility": "private",
        },
        follow=True,
    )
    assert response.redirect_chain == [("/r/alice/tools/lint/", 302)]
    page = response.content.decode()
    assert "Created alice/tools/lint. Push to it any time." in page
    assert "<em>it</em>" in page
    repo = Repository.objects.get(name="tools/lint")
    assert repo.is_private and repo.description == "Lints things"


@pytest.mark.parametrize(
    "data, field, message",
    [
        (
            {"name": "Bad Name"},
            "name",
            "Use lowercase letters, digits and separators (. _ -), optionally in path components "
            "separated by /; start and end with a letter or digit.",
        ),
        ({"name": "web"}, "name", "alice/web already exists."),
        ({"name": ""}, "name", "This field is required."),
        (
            {"namespace": "library"},
            "namespace",
            "Select a valid choice. library is not one of the available choices.",
        ),
        (
            {"namespace": "bob"},
            "namespace",
            "Select a valid choice. bob is not one of the available choices.",
        ),
        (
            {"description": "d" * 101},
            "description",
            "Ensure this value has at most 100 characters (it has 101).",
        ),
    ],
)
def test_create_errors_show_next_to_their_field(client, alice, public_repo, data, field, message):
    client.force_login(alice)
    form = {"namespace": "alice", "name": "fresh", "visibility": "public", **data}
    response = client.post("/repositories/new/", form)
    assert response.status_code == 200
    assert f'<p class="error" id="id_{field}_error">{message}</p>' in main(response)
    assert not Repository.objects.filter(name="fresh").exists()


def test_new_repository_link_in_the_user_menu(client, alice):
    client.force_login(alice)
    assert 'href="/repositories/new/">New repository</a>' in client.get("/").content.decode()


def test_owner_sees_settings_tab_and_it_is_current(client, alice):
    make_repo(alice, "svc")
    client.force_login(alice)
    page = main(client.get("/r/alice/svc/settings/"))
    assert '<a href="/r/alice/svc/settings/" aria-current="page">Settings</a>' in page
