import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from hub.services import repository_create
from orgs.models import Robot
from tests.api.conftest import signed_in
from tests.orgs.api.conftest import basic, make_robot

ROBOTS = "/api/v2/orgs/acme/robots/"
CI = {"name": "ci", "description": "GitHub Actions", "repositories": ["app"], "actions": ["pull"]}


def test_creating_a_robot_answers_with_its_secret_once(as_alice, acme, alice):
    response = as_alice.post(ROBOTS, {**CI, "expires_in_days": 30}, format="json")

    assert response.status_code == 201
    body = response.json()
    secret = body["secret"]
    assert body["name"] == "acme+ci" and secret.startswith("whf_robot_")
    assert body["repositories"] == ["app"] and body["actions"] == ["pull"]
    assert body["description"] == "GitHub Actions" and body["created_by"] == "alice"
    assert body["expires"] and body["last_used"] is None
    robot = Robot.objects.get(name="ci")
    assert robot.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {robot.secret_start, robot.secret_hash}

    listed = as_alice.get(ROBOTS)
    assert listed.status_code == 200
    assert secret not in listed.content.decode() and "secret" not in listed.json()["results"][0]
    assert [r["name"] for r in listed.json()["results"]] == ["acme+ci"]


def test_a_robot_reads_its_private_repository_but_cannot_change_it(as_alice, acme, app):
    secret = as_alice.post(ROBOTS, CI, format="json").json()["secret"]
    robot = basic("acme+ci", secret)

    read = robot.get("/api/v2/repositories/acme/app/")
    changed = robot.patch("/api/v2/repositories/acme/app/", {"description": "x"}, format="json")

    assert read.status_code == 200
    assert read.json()["permissions"] == {"read": True, "write": False, "admin": False}
    assert changed.status_code == 403
    assert changed.json() == {"detail": "This robot may pull; it cannot write."}


def test_a_robot_sees_only_the_repositories_it_names(as_alice, acme, app, alice):
    repository_create(user=alice, namespace="acme", name="other", is_private=True)
    secret = as_alice.post(ROBOTS, CI, format="json").json()["secret"]

    response = basic("acme+ci", secret).get("/api/v2/repositories/acme/other/")
    assert response.status_code == 404


def test_a_pushing_robot_still_may_not_administer_the_repository(acme, alice, app):
    _, robot = make_robot(acme, alice, actions=["pull", "push"])

    response = robot.patch("/api/v2/repositories/acme/app/", {"description": "x"}, format="json")

    assert response.status_code == 403
    assert response.json()["detail"].startswith("Only the repository's admins")


def test_a_deleted_robot_fails_at_its_next_request(as_alice, acme, app):
    _, robot = make_robot(acme, None)
    assert robot.get("/api/v2/repositories/acme/app/").status_code == 200

    assert as_alice.delete(f"{ROBOTS}ci/").status_code == 204

    response = robot.get("/api/v2/repositories/acme/app/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid, expired or revoked robot secret."}
    assert not User.objects.filter(username="acme+ci").exists()


def test_a_robot_is_deleted_by_its_full_name_too(as_alice, acme):
    make_robot(acme, None)

    assert as_alice.delete(f"{ROBOTS}acme+ci/").status_code == 204
    assert as_alice.delete(f"{ROBOTS}acme+ci/").status_code == 404


def test_an_expired_robot_is_refused(acme, app):
    robot, client = make_robot(acme, None, expires_in_days=1)
    Robot.objects.filter(pk=robot.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client.get("/api/v2/repositories/acme/app/")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": "CI"}, "name", "Robot names are 1–30 lowercase letters"),
        ({"repositories": []}, "repositories", "Name the repositories it may use"),
        ({"repositories": ["Bad Name"]}, "repositories", "'Bad Name' is not a repository name."),
        ({"actions": []}, "actions", "Give it at least one action"),
        ({"actions": ["sudo"]}, "actions", '"sudo" is not a valid choice.'),
        ({"expires_in_days": 0}, "expires_in_days", "Ensure this value is greater than"),
    ],
)
def test_bad_robot_input_is_refused(as_alice, acme, change, field, message):
    response = as_alice.post(ROBOTS, {**CI, **change}, format="json")

    assert response.status_code == 400
    assert message in str(response.json()[field])


def test_a_robot_name_is_unique(as_alice, acme):
    as_alice.post(ROBOTS, CI, format="json")

    response = as_alice.post(ROBOTS, CI, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": ["There already is a robot acme+ci."]}


def test_members_may_not_see_or_make_robots(as_bob, acme):
    listed = as_bob.get(ROBOTS)

    assert listed.status_code == 403
    assert listed.json() == {"detail": "Only owners of acme can do this."}
    assert as_bob.post(ROBOTS, CI, format="json").status_code == 403


def test_outsiders_get_404_for_robots(as_carol, api, acme):
    make_robot(acme, None)
    assert as_carol.get(ROBOTS).status_code == 404
    assert api.get(ROBOTS).status_code == 404
    assert as_carol.post(ROBOTS, CI, format="json").status_code == 404
    assert as_carol.delete(f"{ROBOTS}ci/").status_code == 404


def test_robots_cannot_make_or_delete_robots(acme, app):
    _, robot = make_robot(acme, None, repositories=["*"], actions=["pull", "push", "delete"])

    made = robot.post(ROBOTS, {**CI, "name": "ci2"}, format="json")

    assert made.status_code == 403
    assert made.json()["detail"].startswith("Robot accounts cannot manage")
    assert robot.delete(f"{ROBOTS}ci/").status_code == 403


USER_ROBOTS = "/api/v2/users/alice/robots/"


def test_a_user_makes_a_robot_of_their_own(as_alice, alice):
    vault = repository_create(user=alice, namespace="alice", name="vault", is_private=True)
    assert vault.namespace.owner == alice

    response = as_alice.post(USER_ROBOTS, {**CI, "repositories": ["vault"]}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "alice+ci"
    robot = basic("alice+ci", body["secret"])
    assert robot.get("/api/v2/repositories/alice/vault/").status_code == 200
    listed = as_alice.get(USER_ROBOTS).json()["results"]
    assert [r["name"] for r in listed] == ["alice+ci"]


def test_a_user_without_repositories_has_no_robots_yet(as_carol, carol):
    response = as_carol.get("/api/v2/users/carol/robots/")

    assert response.status_code == 200 and response.json()["count"] == 0
    assert as_carol.post("/api/v2/users/carol/robots/", CI, format="json").status_code == 201


def test_another_users_robots_are_404(as_carol, alice, api):
    for client in (as_carol, api):
        assert client.get(USER_ROBOTS).status_code == 404
    assert as_carol.post(USER_ROBOTS, CI, format="json").status_code == 404
    assert as_carol.get("/api/v2/users/nobodyhere/robots/").status_code == 404


def test_staff_manage_a_users_robots(staff, as_alice):
    as_alice.post(USER_ROBOTS, CI, format="json")

    listed = signed_in(staff).get(USER_ROBOTS)
    assert [r["name"] for r in listed.json()["results"]] == ["alice+ci"]
    assert signed_in(staff).delete(f"{USER_ROBOTS}alice+ci/").status_code == 204


def test_a_user_revokes_their_robot(as_alice, alice):
    secret = as_alice.post(USER_ROBOTS, CI, format="json").json()["secret"]

    assert as_alice.delete(f"{USER_ROBOTS}ci/").status_code == 204
    assert basic("alice+ci", secret).get("/api/v2/user/").status_code == 401


def test_a_users_robot_cannot_manage_robots(as_alice, alice):
    secret = as_alice.post(
        USER_ROBOTS, {**CI, "actions": ["pull", "push", "delete"]}, format="json"
    ).json()["secret"]
    robot = basic("alice+ci", secret)

    assert robot.post(USER_ROBOTS, {**CI, "name": "ci2"}, format="json").status_code == 403
    assert robot.delete(f"{USER_ROBOTS}ci/").status_code == 403
    assert robot.get(USER_ROBOTS).status_code == 404


@pytest.mark.parametrize("count", [1, 6])
def test_robot_list_queries_are_constant(django_assert_num_queries, as_alice, acme, alice, count):
    for i in range(count):
        make_robot(acme, alice, name=f"bot{i}")
    # token's user, organization, caller's role, count, page with users and creators joined
    with django_assert_num_queries(5):
        response = as_alice.get(ROBOTS)
    assert response.json()["count"] == count
