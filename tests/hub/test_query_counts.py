"""List pages run a fixed number of queries however many rows they show (no N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hub.models import Repository
from hub.services import star_add
from tests.hub.conftest import make_repo, push_image, push_multi_arch


def fill(alice, bob, start: int, count: int):
    """``count`` more repositories of alice's: automated, pulled, described, starred by bob."""
    for i in range(start, start + count):
        repo = make_repo(alice, f"svc{i:02d}", description="A service")
        Repository.objects.filter(pk=repo.pk).update(pull_count=i + 1, is_automated=True)
        star_add(user=bob, repository=repo)


def queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


# Signed in: the session and the user come first (2 queries), then the user menu's
# organizations (1), then the page's own.
PAGES = {
    "/search/?q=service": 2,  # COUNT for the paginator, then the page of rows
    "/search/?q=service&automated=1&ordering=pulls&page=1": 2,
    "/explore/": 4,  # one per section
    "/u/alice/": 3,  # the user, their repositories, their stars
    "/u/bob/": 3,
}


@pytest.mark.parametrize("path, expected", PAGES.items())
@pytest.mark.parametrize("signed_in", [False, True])
def test_list_pages_run_a_fixed_number_of_queries(
    client, alice, bob, django_assert_num_queries, path, expected, signed_in
):
    fill(alice, bob, 0, 2)
    if signed_in:
        client.force_login(bob)
        expected += 3
    with django_assert_num_queries(expected):
        client.get(path)
    fill(alice, bob, 2, 10)
    with django_assert_num_queries(expected):
        response = client.get(path)
    assert response.status_code == 200


def test_home_for_signed_in_users_runs_a_fixed_number_of_queries(
    client, alice, bob, django_assert_num_queries
):
    client.force_login(alice)
    fill(alice, bob, 0, 2)
    with django_assert_num_queries(3 + 4):
        client.get("/")


def test_tags_tab_runs_a_fixed_number_of_queries(client, alice, django_assert_num_queries):
    push_image("alice/app:v1")
    push_multi_arch("alice/app:multi")
    # Repository, how many tags (the pages), one page of tags, the index children
    # (prefetched); signed out: no star lookup. 5,000 tags: tests/hub/test_tags_listing.py.
    few = queries(client, "/r/alice/app/tags/")
    assert few == 4
    for i in range(4):
        push_image(f"alice/app:v{i + 2}")
        push_multi_arch(f"alice/app:multi{i}")
    with django_assert_num_queries(few):
        client.get("/r/alice/app/tags/")


def test_repository_page_runs_a_fixed_number_of_queries(
    client, alice, bob, django_assert_num_queries
):
    make_repo(alice, "web", full_description="# Hello")
    with django_assert_num_queries(1):
        client.get("/r/alice/web/")
    client.force_login(bob)
    # session, user, repository, what the viewer may do to it (teams, collaborations), has the
    # viewer starred it, the user menu's organizations
    with django_assert_num_queries(6):
        client.get("/r/alice/web/")
