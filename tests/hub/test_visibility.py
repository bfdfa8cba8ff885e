"""Private repositories never leak: 404 or absent on every page, for everyone who may not see them.

The matrix: anonymous, another user, the owner and staff × repository page, each tab, the tag
page, settings, search, explore, profile, and the forms that change things.
"""

import pytest

from hub.models import Repository, Star, Tag
from tests.hub.conftest import push_image

SECRET_TEXT = ["Sekrit launch codes", "The hidden README"]
CAN_SEE = {"anonymous": False, "bob": False, "alice": True, "harbourmaster": True}
USERS = {"bob": "bob", "alice": "alice", "harbourmaster": "staff"}


@pytest.fixture
def secret_with_tag(secret_repo):
    push_image("alice/vault:v1")
    return secret_repo


def sign_in(request, client, name: str) -> str:
    if name in USERS:
        client.force_login(request.getfixturevalue(USERS[name]))
    return name


@pytest.fixture(params=list(CAN_SEE))
def viewer(request, client, alice, bob, staff):
    return sign_in(request, client, request.param)


@pytest.fixture(params=["bob", "harbourmaster", "alice"])
def signed_in_viewer(request, client, alice, bob, staff):
    return sign_in(request, client, request.param)


@pytest.fixture(params=["anonymous", "bob"])
def outsider(request, client, alice, bob):
    return sign_in(request, client, request.param)


def main(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


@pytest.mark.parametrize(
    "path",
    [
        "/r/alice/vault/",
        "/r/alice/vault/tags/",
        "/r/alice/vault/tags/v1/",
        "/r/alice/vault/builds/",
        "/r/alice/vault/settings/",
    ],
)
def test_private_repository_pages_are_404_for_those_who_may_not_see_them(
    client, viewer, secret_with_tag, path
):
    response = client.get(path)
    if CAN_SEE[viewer]:
        assert response.status_code == 200
        assert "Sekrit launch codes" in main(response)
    else:
        assert response.status_code == 404
        page = response.content.decode()
        assert "Page not found" in page
        assert not any(text in page for text in SECRET_TEXT)


@pytest.mark.parametrize("path", ["/search/?q=alice", "/search/", "/explore/"])
def test_private_repositories_appear_in_lists_only_for_those_who_may_see_them(
    client, viewer, secret_repo, public_repo, path
):
    page = main(client.get(path))
    assert "alice/web" in page
    assert ("alice/vault" in page) is CAN_SEE[viewer]
    assert ("Sekrit launch codes" in page) is CAN_SEE[viewer]


@pytest.mark.parametrize("query", ["vault", "sekrit launch", "alice/vault"])
def test_searching_for_a_private_repository_finds_it_only_for_those_who_may_see_it(
    client, viewer, secret_repo, query
):
    page = main(client.get("/search/", {"q": query}))
    assert ('href="/r/alice/vault/"' in page) is CAN_SEE[viewer]
    assert ("Sekrit launch codes" in page) is CAN_SEE[viewer]
    assert ("No repositories match" in page) is not CAN_SEE[viewer]


def test_profile_lists_private_repositories_only_to_owner_and_staff(
    client, viewer, secret_repo, public_repo, bob
):
    Star.objects.create(user=bob, repository=secret_repo)  # a star left from when it was public
    Star.objects.create(user=bob, repository=public_repo)
    for profile in ("/u/alice/", "/u/bob/"):
        page = main(client.get(profile))
        assert "alice/web" in page
        assert ("alice/vault" in page) is CAN_SEE[viewer]
        assert ("Sekrit launch codes" in page) is CAN_SEE[viewer]


def test_home_for_signed_in_users_shows_private_repositories_only_to_those_who_may_see_them(
    client, signed_in_viewer, secret_repo, public_repo
):
    page = main(client.get("/"))
    assert "alice/web" in page
    assert ("alice/vault" in page) is CAN_SEE[signed_in_viewer]


def test_settings_of_a_public_repository_are_404_for_anyone_but_owner_and_staff(
    client, viewer, public_repo
):
    expected = 200 if CAN_SEE[viewer] else 404
    assert client.get("/r/alice/web/settings/").status_code == expected
    page = main(client.get("/r/alice/web/"))
    assert ('href="/r/alice/web/settings/"' in page) is CAN_SEE[viewer]


@pytest.mark.parametrize(
    "path, data",
    [
        ("/r/alice/vault/star/", {}),
        ("/r/alice/vault/unstar/", {}),
        ("/r/alice/vault/tags/v1/delete/", {}),
        ("/r/alice/vault/delete/", {"delete-confirm": "alice/vault"}),
        (
            "/r/alice/vault/settings/",
            {"settings-description": "pwned", "settings-visibility": "public"},
        ),
    ],
)
def test_forms_on_a_private_repository_are_404_for_those_who_may_not_see_it(
    client, outsider, secret_with_tag, path, data
):
    response = client.post(path, data)
    assert response.status_code == 404
    assert not any(text in response.content.decode() for text in SECRET_TEXT)
    repo = Repository.objects.get(pk=secret_with_tag.pk)
    assert repo.is_private and repo.description == "Sekrit launch codes"
    assert repo.star_count == 0
    assert Tag.objects.filter(repository=repo, name="v1").exists()


@pytest.mark.parametrize(
    "path",
    ["/r/alice/web/tags/v1/delete/", "/r/alice/web/delete/", "/r/alice/web/settings/"],
)
def test_management_forms_of_a_public_repository_are_404_for_other_users(
    client, bob, public_repo, path
):
    push_image("alice/web:v1")
    client.force_login(bob)
    response = client.post(
        path,
        {
            "delete-confirm": "alice/web",
            "settings-description": "x",
            "settings-visibility": "public",
        },
    )
    assert response.status_code == 404
    assert Repository.objects.filter(
        pk=public_repo.pk, description="The public web server"
    ).exists()
    assert Tag.objects.filter(repository=public_repo, name="v1").exists()
