"""List endpoints make the same number of queries for 1 row as for many (no N+1)."""

import pytest

from hub.services import star_add
from tests.api.conftest import make_repo, push_image, push_index, signed_in
from tests.factories import UserFactory


@pytest.fixture
def viewer(db):
    return UserFactory()


def _repos(owner, viewer, count):
    for i in range(count):
        repo = make_repo(owner, f"app{i}", description=f"app number {i}", is_private=i % 2 == 1)
        star_add(user=viewer, repository=repo)
        star_add(user=owner, repository=repo)


# Queries per request with an API token: 1 to load the token's user, then the endpoint's own.
@pytest.mark.parametrize("rows", [1, 8])
def test_namespace_list_queries_are_constant(django_assert_num_queries, user, viewer, rows):
    _repos(user, viewer, rows)
    client = signed_in(viewer)
    # user, namespace, count, page (has_starred is a subquery of the page's query)
    with django_assert_num_queries(4):
        response = client.get(f"/api/v2/repositories/{user.username}/")
    assert response.json()["count"] == (rows + 1) // 2
    assert all(r["has_starred"] for r in response.json()["results"])


@pytest.mark.parametrize("rows", [1, 8])
def test_search_queries_are_constant(django_assert_num_queries, user, viewer, rows):
    _repos(user, viewer, rows)
    client = signed_in(user)
    with django_assert_num_queries(3):  # user, count, page
        response = client.get("/api/v2/search/repositories/", {"query": "app"})
    assert response.json()["count"] == rows


@pytest.mark.parametrize("rows", [1, 8])
def test_starred_queries_are_constant(django_assert_num_queries, user, viewer, rows):
    _repos(user, viewer, rows)
    client = signed_in(viewer)
    with django_assert_num_queries(4):  # viewer, starring user, count, page
        response = client.get(f"/api/v2/users/{user.username}/starred/")
    assert response.json()["count"] == (rows + 1) // 2


@pytest.mark.parametrize("images", [1, 4])
def test_tag_list_queries_are_constant(django_assert_num_queries, user, tmp_path, images):
    repo = make_repo(user, "web")
    for i in range(images):
        push_image(tmp_path, repo, f"v{i}")
        push_index(tmp_path, repo, f"multi{i}")
    client = signed_in(user)
    # user, repository, count, tags with manifests, index children with their manifests
    with django_assert_num_queries(5):
        response = client.get(f"/api/v2/repositories/{user.username}/web/tags/")
    assert response.json()["count"] == 2 * images
    assert sum(len(t["images"]) for t in response.json()["results"]) == 4 * images
