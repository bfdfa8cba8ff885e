"""Registry tokens already issued are checked again on every request (issue 10): a member who
leaves a team, leaves the organization, or a robot that is revoked, fails at the next request."""

import pytest
from django.test import Client

from hub.models import Repository
from orgs import robots, services
from orgs.models import Robot, TeamMember
from tests.factories import PASSWORD, UserFactory
from tests.hub.conftest import push_image
from tests.orgs.test_matrix import basic


@pytest.fixture
def acme(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WHARF_URL = "http://testserver"
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    org = services.org_create(user=alice, name="acme")
    push_image("acme/app:v1")
    app = Repository.objects.select_related("namespace").get(namespace=org, name="app")
    app.is_private = True
    app.save()
    team = services.team_create(org=org, name="devs")
    services.team_member_add(team=team, username="bob")
    services.team_permission_set(repository=app, team=team, permission="write")
    return org, team, app, bob


def bearer(auth: str, scope: str) -> dict:
    body = Client().get(f"/token?service=testserver&scope={scope}", HTTP_AUTHORIZATION=auth)
    assert body.status_code == 200, body.content
    return {"HTTP_AUTHORIZATION": f"Bearer {body.json()['token']}"}


def pull_and_push(headers: dict) -> tuple[int, int]:
    pull = Client().get("/v2/acme/app/manifests/v1", **headers)
    push = Client().post("/v2/acme/app/blobs/uploads/", **headers)
    return pull.status_code, push.status_code


def test_a_member_removed_from_the_team_fails_with_the_token_they_hold(acme):
    org, team, app, bob = acme
    headers = bearer(basic("bob", PASSWORD), "repository:acme/app:pull,push")
    assert pull_and_push(headers) == (200, 202)

    TeamMember.objects.filter(team=team, user=bob).delete()

    assert pull_and_push(headers) == (404, 403)


def test_a_team_losing_access_and_a_member_leaving_take_effect_at_once(acme):
    org, team, app, bob = acme
    headers = bearer(basic("bob", PASSWORD), "repository:acme/app:pull,push")
    services.team_permission_set(repository=app, team=team, permission="read")
    assert pull_and_push(headers) == (200, 403)

    services.member_remove(membership=org.memberships.get(user=bob))

    assert pull_and_push(headers) == (404, 403)
    assert not TeamMember.objects.filter(user=bob).exists()


def test_a_revoked_robot_s_token_fails_at_the_next_request(acme):
    org, *_ = acme
    robot, secret = robots.robot_create(
        namespace=org, name="ci", created_by=None, repositories=["*"], actions=["pull", "push"]
    )
    headers = bearer(basic("acme+ci", secret), "repository:acme/app:pull,push")
    assert pull_and_push(headers) == (200, 202)

    robots.robot_delete(robot=Robot.objects.get(pk=robot.pk))

    pull = Client().get("/v2/acme/app/manifests/v1", **headers)
    assert pull.status_code == 401
    assert "gone, disabled or revoked" in pull.json()["errors"][0]["message"]


def test_an_expired_robot_is_refused(acme):
    org, *_ = acme
    robot, secret = robots.robot_create(
        namespace=org,
        name="ci",
        created_by=None,
        repositories=["app"],
        actions=["pull"],
        expires_in_days=1,
    )
    headers = bearer(basic("acme+ci", secret), "repository:acme/app:pull")
    assert Client().get("/v2/acme/app/manifests/v1", **headers).status_code == 200
    Robot.objects.filter(pk=robot.pk).update(expires_at="2020-01-01T00:00:00Z")

    assert Client().get("/v2/acme/app/manifests/v1", **headers).status_code == 401
    token = Client().get(
        "/token?service=testserver&scope=repository:acme/app:pull",
        HTTP_AUTHORIZATION=basic("acme+ci", secret),
    )
    assert token.status_code == 401


def test_a_token_of_a_deleted_robot_does_not_work_for_a_new_robot_of_its_name(acme):
    """Review finding: tokens named only the robot, so re-creating ``acme+ci`` (or a new
    organization of the same name making one) brought the old tokens back to life."""
    org, *_ = acme
    robot, secret = robots.robot_create(
        namespace=org, name="ci", created_by=None, repositories=["*"], actions=["pull", "push"]
    )
    headers = bearer(basic("acme+ci", secret), "repository:acme/app:pull,push")
    robots.robot_delete(robot=Robot.objects.get(pk=robot.pk))
    robots.robot_create(
        namespace=org, name="ci", created_by=None, repositories=["*"], actions=["pull", "push"]
    )

    assert pull_and_push(headers) == (401, 401)
