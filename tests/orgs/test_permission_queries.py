"""What asking the permission function costs: at most one query on a repository (none for its
owner, staff, robots and anonymous callers, or when a list annotated it), so a team member costs
each door at most one query more than a user costs on their own repository."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hub.models import Repository
from hub.permissions import repository_access
from hub.selectors import repository_get_visible
from orgs import services
from tests.factories import PASSWORD, UserFactory
from tests.hub.conftest import make_repo, push_image
from tests.orgs.test_matrix import basic


@pytest.fixture
def acme(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WHARF_URL = "http://testserver"
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    org = services.org_create(user=alice, name="acme")
    push_image("acme/app:v1")
    app = Repository.objects.get(namespace=org, name="app")
    app.is_private = True
    app.save()
    team = services.team_create(org=org, name="devs")
    services.team_member_add(team=team, username="bob")
    services.team_permission_set(repository=app, team=team, permission="write")
    return alice, bob, app


def test_finding_a_repository_and_what_one_may_do(acme, django_assert_num_queries):
    alice, bob, _ = acme
    with django_assert_num_queries(2):  # the lookup, and the one permission query
        repo = repository_get_visible(user=bob, namespace="acme", name="app")
        access = repository_access(bob, repo)
    assert (access.read, access.write, access.admin) == (True, True, False)
    vault = make_repo(alice, "vault", is_private=True)
    with django_assert_num_queries(1):  # the owner's own: the lookup alone
        repo = repository_get_visible(user=alice, namespace="alice", name="vault")
        assert repository_access(alice, repo).admin
    assert repo == vault


def test_a_list_says_what_one_may_do_to_every_row_in_its_one_query(acme, django_assert_num_queries):
    _, bob, _ = acme
    with django_assert_num_queries(1):
        rows = list(Repository.objects.visible_to(bob).with_access(bob))
        assert [repository_access(bob, row).write for row in rows] == [True]


def test_asking_about_a_repository_already_loaded_is_at_most_one_query(
    acme, django_assert_num_queries
):
    alice, bob, app = acme
    repo = Repository.objects.select_related("namespace").get(pk=app.pk)
    with django_assert_num_queries(1):
        assert repository_access(bob, repo).write
    with django_assert_num_queries(0):  # remembered on the row
        assert repository_access(bob, repo).write
    owned = Repository.objects.select_related("namespace").get(pk=app.pk)
    with django_assert_num_queries(1):  # an organization's owner: the role is one query too
        assert repository_access(alice, owned).admin


def _count(request) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = request()
    assert response.status_code == 200, response.content
    return len(queries)


def test_a_team_member_costs_each_door_one_query_more_than_an_owner_on_their_own(acme):
    alice, bob, _ = acme
    make_repo(bob, "app")
    push_image("bob/app:v1")
    counts = {}
    for user, repo in ((bob, "bob/app"), (bob, "acme/app"), (alice, "acme/app")):
        page = Client()
        page.force_login(user)
        token = (
            Client()
            .get(
                f"/token?service=testserver&scope=repository:{repo}:pull",
                HTTP_AUTHORIZATION=basic(user.username, PASSWORD),
            )
            .json()["token"]
        )
        registry = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        counts[f"{user.username} on {repo}"] = {
            "page": _count(lambda: page.get(f"/r/{repo}/")),  # noqa: B023
            "tags page": _count(lambda: page.get(f"/r/{repo}/tags/")),  # noqa: B023
            "manifest GET": _count(lambda: registry.get(f"/v2/{repo}/manifests/v1")),  # noqa: B023
            "manifest HEAD": _count(lambda: registry.head(f"/v2/{repo}/manifests/v1")),  # noqa: B023
        }
    own = counts["bob on bob/app"]
    assert counts["bob on acme/app"] == {door: n + 1 for door, n in own.items()}, counts
    assert counts["alice on acme/app"] == counts["bob on acme/app"], counts  # an org owner: 1 too
    # A manifest GET counts its pull in Redis (hub/pulls.py): no more queries than a HEAD.
    # The tags page counts its tags for the pagination, and reads platforms only for a page
    # that holds an index (this one holds a single image: none).
    assert own == {"page": 5, "tags page": 7, "manifest GET": 3, "manifest HEAD": 3}, counts
