"""Who reads which audit log, on the pages and in the API: a namespace's by the user it is (an
organization's by its owners), a repository's by its admins, every one by staff. Everyone else
signed in gets a 404, exactly as for a log that does not exist."""

import pytest

from orgs import services as orgs
from tests.api.conftest import as_token, signed_in
from tests.audit.conftest import as_user, push, record
from tests.factories import make_token
from tests.orgs.api.conftest import make_robot

pytestmark = pytest.mark.django_db

NAMESPACE_PAGE = "/u/{}/-/activity/"
NAMESPACE_API = "/api/v2/namespaces/{}/audit-logs/"
REPOSITORY_PAGE = "/r/{}/settings/activity/"
REPOSITORY_API = "/api/v2/repositories/{}/audit-logs/"


def page_status(client, user, path) -> int:
    client.force_login(user)
    return client.get(path).status_code


def api_status(user, path) -> int:
    return signed_in(user).get(path).status_code


def test_the_owner_reads_their_namespaces_log_and_sees_its_events(client, alice, app):
    event = push(app, "v1", alice)
    client.force_login(alice)

    page = client.get(NAMESPACE_PAGE.format("alice"))
    api = signed_in(alice).get(NAMESPACE_API.format("alice"))

    assert page.status_code == 200
    assert event.pk in [row["id"] for row in page.context["rows"]]
    assert api.status_code == 200
    assert event.pk in [entry["id"] for entry in api.json()["results"]]


def test_another_user_gets_404_for_a_namespaces_log_like_for_a_missing_one(client, alice, bob, app):
    push(app, "v1", alice)
    for name in ("alice", "nosuchname"):
        assert page_status(client, bob, NAMESPACE_PAGE.format(name)) == 404
        assert api_status(bob, NAMESPACE_API.format(name)) == 404
    assert signed_in(bob).get(NAMESPACE_API.format("alice")).json()["detail"] == signed_in(bob).get(
        NAMESPACE_API.format("nosuchname")
    ).json()["detail"].replace("nosuchname", "alice")


@pytest.mark.parametrize("path", ["alice/app", "alice/site", "alice/nosuch"])
def test_another_user_gets_404_for_a_repositorys_log_private_public_or_missing(
    client, alice, bob, app, site, path
):
    push(app, "v1", alice)
    push(site, "v1", alice)
    assert page_status(client, bob, REPOSITORY_PAGE.format(path)) == 404
    response = signed_in(bob).get(REPOSITORY_API.format(path))
    assert response.status_code == 404
    assert response.json() == {"detail": "No such repository"}


def test_the_owner_reads_a_private_repositorys_log(client, alice, app):
    event = push(app, "v1", alice)
    client.force_login(alice)
    page = client.get(REPOSITORY_PAGE.format("alice/app"))
    api = signed_in(alice).get(REPOSITORY_API.format("alice/app"))
    assert [row["id"] for row in page.context["rows"]][0] == event.pk
    assert api.json()["results"][0]["id"] == event.pk


def test_signed_out_the_pages_ask_to_sign_in_and_the_api_answers_401(client, alice, app):
    for path in (NAMESPACE_PAGE.format("alice"), REPOSITORY_PAGE.format("alice/app")):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")
    # The same for a private repository and a missing one: nothing is told.
    for path in ("alice/app", "alice/nosuch"):
        assert client.get(REPOSITORY_API.format(path)).status_code == 401
    assert client.get(NAMESPACE_API.format("alice")).status_code == 401
    assert client.get("/-/activity/").status_code == 302


def test_an_admin_collaborator_reads_the_repositorys_log_but_not_the_namespaces(
    client, alice, bob, erin, app
):
    orgs.collaborator_set(repository=app, username="bob", permission="admin")
    orgs.collaborator_set(repository=app, username="erin", permission="write")

    assert page_status(client, bob, REPOSITORY_PAGE.format("alice/app")) == 200
    assert api_status(bob, REPOSITORY_API.format("alice/app")) == 200
    assert page_status(client, bob, NAMESPACE_PAGE.format("alice")) == 404
    # Write is not admin: pushing to it does not read who else did what.
    assert page_status(client, erin, REPOSITORY_PAGE.format("alice/app")) == 404
    assert api_status(erin, REPOSITORY_API.format("alice/app")) == 404


def test_an_organizations_owner_reads_its_log_a_plain_member_does_not(
    client, alice, bob, acme, api_repo
):
    event = record("token.created", actor=as_user(alice), namespace="acme")
    client.force_login(alice)
    response = client.get(NAMESPACE_PAGE.format("acme"))
    assert response.status_code == 200
    assert event.pk in [row["id"] for row in response.context["rows"]]
    assert 'aria-current="page">Activity</a>' in response.content.decode()  # the org's tab
    assert api_status(alice, NAMESPACE_API.format("acme")) == 200
    assert api_status(alice, REPOSITORY_API.format("acme/api")) == 200

    for path in (NAMESPACE_PAGE.format("acme"), REPOSITORY_PAGE.format("acme/api")):
        assert page_status(client, bob, path) == 404
    assert api_status(bob, NAMESPACE_API.format("acme")) == 404
    assert api_status(bob, REPOSITORY_API.format("acme/api")) == 404


def test_an_editor_reads_each_repositorys_log_not_the_organizations(client, erin, acme, api_repo):
    assert page_status(client, erin, REPOSITORY_PAGE.format("acme/api")) == 200
    assert api_status(erin, REPOSITORY_API.format("acme/api")) == 200
    assert page_status(client, erin, NAMESPACE_PAGE.format("acme")) == 404
    assert api_status(erin, NAMESPACE_API.format("acme")) == 404


def test_an_admin_team_reads_the_repositorys_log(client, bob, acme, api_repo):
    team = orgs.team_create(org=acme, name="ops")
    orgs.team_member_add(team=team, username="bob")
    orgs.team_permission_set(repository=api_repo, team=team, permission="admin")
    assert page_status(client, bob, REPOSITORY_PAGE.format("acme/api")) == 200
    assert api_status(bob, NAMESPACE_API.format("acme")) == 404


def test_staff_read_every_log_and_the_site_wide_one(client, alice, bob, staff, app):
    event = push(app, "v1", alice)
    theirs = record("token.created", actor=as_user(bob), namespace="bob")
    client.force_login(staff)

    site = client.get("/-/activity/")

    assert site.status_code == 200
    assert {event.pk, theirs.pk} <= {row["id"] for row in site.context["rows"]}
    assert page_status(client, staff, NAMESPACE_PAGE.format("alice")) == 200
    assert page_status(client, staff, REPOSITORY_PAGE.format("alice/app")) == 200
    assert api_status(staff, NAMESPACE_API.format("bob")) == 200  # bob has no repositories
    assert api_status(staff, NAMESPACE_API.format("nosuchname")) == 404


def test_the_site_wide_log_is_404_for_everyone_else(client, alice, bob, acme):
    for user in (alice, bob):
        assert page_status(client, user, "/-/activity/") == 404


def test_a_user_without_repositories_reads_their_own_log(client, bob):
    _, _ = make_token(bob, description="laptop")  # token.created, in bob's namespace
    client.force_login(bob)
    response = client.get(NAMESPACE_PAGE.format("bob"))
    assert response.status_code == 200
    assert [row["action"] for row in response.context["rows"]] == ["token.created"]


def test_a_read_only_token_of_the_owner_reads_the_log_a_robot_never(alice, acme, api_repo):
    _, raw = make_token(alice, scope="read")
    assert as_token(raw).get(NAMESPACE_API.format("alice")).status_code == 200
    assert as_token(raw).get(REPOSITORY_API.format("acme/api")).status_code == 200

    _, robot = make_robot(acme, alice, repositories=["api"], actions=["pull", "push", "delete"])
    assert robot.get(NAMESPACE_API.format("acme")).status_code == 404
    assert robot.get(REPOSITORY_API.format("acme/api")).status_code == 404


def test_whoever_takes_a_deleted_namespaces_name_does_not_read_its_old_log(
    client, alice, fast_passwords
):
    from tests.factories import UserFactory

    old = orgs.org_create(user=alice, name="gone", full_name="")
    record("permission.changed", actor=as_user(alice), namespace="gone",
           data={"change": "member.added", "subject": "alice"})  # fmt: skip
    orgs.org_delete(org=old)
    newcomer = UserFactory(username="gone")
    mine = record("token.created", actor=as_user(newcomer), namespace="gone",
                  data={"token": "ci", "kind": "pat"})  # fmt: skip
    client.force_login(newcomer)
    page = client.get(NAMESPACE_PAGE.format("gone"))
    assert [row["id"] for row in page.context["rows"]] == [mine.pk]
    api = signed_in(newcomer).get(NAMESPACE_API.format("gone"))
    assert [entry["id"] for entry in api.json()["results"]] == [mine.pk]
