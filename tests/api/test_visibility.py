"""Private repositories never leak: (anonymous, another user, owner, staff) × every API surface."""

import pytest
from rest_framework.test import APIClient

from hub.services import star_add
from tests.api.conftest import make_repo, push_image, signed_in
from tests.factories import UserFactory

ACTORS = [("anonymous", False), ("other", False), ("owner", True), ("staff", True)]


@pytest.fixture
def world(db, tmp_path):
    owner = UserFactory(username="ownerx")
    secret = make_repo(owner, "secret", description="hidden thing", is_private=True)
    public = make_repo(owner, "public", description="open thing")
    push_image(tmp_path, secret, "v1")
    star_add(user=owner, repository=secret)
    star_add(user=owner, repository=public)
    clients = {
        "anonymous": APIClient(),
        "other": signed_in(UserFactory()),
        "owner": signed_in(owner),
        "staff": signed_in(UserFactory(is_staff=True)),
    }
    return clients


def names(response):
    assert response.status_code == 200
    return {r["name"] for r in response.json()["results"]}


@pytest.mark.parametrize(("actor", "sees"), ACTORS)
@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/repositories/ownerx/secret/",
        "/api/v2/repositories/ownerx/secret/tags/",
        "/api/v2/repositories/ownerx/secret/tags/v1/",
    ],
)
def test_private_repository_detail_and_tags_are_404_for_those_who_may_not_see(
    world, actor, sees, path
):
    response = world[actor].get(path)
    assert response.status_code == (200 if sees else 404)
    if not sees:
        assert response.json() == {"detail": "No such repository"}


@pytest.mark.parametrize(("actor", "sees"), ACTORS)
def test_namespace_list_shows_private_only_to_owner_and_staff(world, actor, sees):
    response = world[actor].get("/api/v2/repositories/ownerx/")
    assert names(response) == ({"secret", "public"} if sees else {"public"})
    assert response.json()["count"] == (2 if sees else 1)


@pytest.mark.parametrize(("actor", "sees"), ACTORS)
def test_search_finds_private_only_for_owner_and_staff(world, actor, sees):
    response = world[actor].get("/api/v2/search/repositories/", {"query": "thing"})
    assert names(response) == ({"secret", "public"} if sees else {"public"})
    by_name = world[actor].get("/api/v2/search/repositories/", {"query": "secret"})
    assert by_name.json()["count"] == (1 if sees else 0)


@pytest.mark.parametrize(("actor", "sees"), ACTORS)
def test_starred_list_shows_private_only_to_owner_and_staff(world, actor, sees):
    response = world[actor].get("/api/v2/users/ownerx/starred/")
    assert names(response) == ({"secret", "public"} if sees else {"public"})


@pytest.mark.parametrize(
    ("actor", "status"), [("anonymous", 401), ("other", 404), ("owner", 200), ("staff", 200)]
)
def test_starring_a_private_repository_is_404_for_those_who_may_not_see(world, actor, status):
    response = world[actor].post("/api/v2/repositories/ownerx/secret/stars/")
    assert response.status_code == status
    # Anonymous callers are asked to sign in before any lookup: the same for a missing one.
    if actor == "anonymous":
        missing = world[actor].post("/api/v2/repositories/ownerx/missing/stars/")
        assert (missing.status_code, missing.json()) == (status, response.json())


@pytest.mark.parametrize(("actor", "status"), [("other", 404), ("owner", 200), ("staff", 200)])
def test_editing_a_private_repository_is_404_for_those_who_may_not_see(world, actor, status):
    response = world[actor].patch(
        "/api/v2/repositories/ownerx/secret/", {"description": "x"}, format="json"
    )
    assert response.status_code == status


def test_anonymous_gets_the_same_answer_for_private_and_missing(world):
    client = world["anonymous"]
    private = client.get("/api/v2/repositories/ownerx/secret/")
    missing = client.get("/api/v2/repositories/ownerx/missing/")
    assert (private.status_code, private.json()) == (missing.status_code, missing.json())
