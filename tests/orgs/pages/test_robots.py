"""The Robot accounts tab: owners make robots, see the secret once, and revoke them."""

import pytest

from orgs.models import Robot
from orgs.robots import robot_authenticate, robot_create
from tests.orgs.pages.conftest import main


def robot_data(**overrides):
    data = {
        "name": "ci",
        "description": "CI pipeline",
        "all_repositories": "on",
        "repositories": "",
        "actions": ["pull", "push"],
        "expires_in_days": "",
    }
    return {**data, **overrides}


def test_the_owner_creates_a_robot_and_sees_its_secret_once(client, alice, acme, settings):
    settings.WHARF_URL = "https://hub.example.test"
    client.force_login(alice)
    response = client.post("/orgs/acme/robots/", robot_data())
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    # Shown in the answer itself: the secret is kept nowhere, not even in the session.
    assert not any("whf_robot_" in str(value) for value in client.session.values())
    page = main(response)
    robot = Robot.objects.get(namespace=acme, name="ci")
    secret = response.context["new_robot"]["secret"]
    assert f'<code id="new-robot-secret">{secret}</code>' in page
    assert "podman login -u 'acme+ci' hub.example.test" in page
    assert robot_authenticate(raw=secret) == robot
    assert (robot.repositories, robot.actions, robot.created_by) == (["*"], ["pull", "push"], alice)
    assert robot.expires_at is None

    again = main(client.get("/orgs/acme/robots/"))
    assert secret not in again and "Copy the secret" not in again
    assert "<code>acme+ci</code>" in again and "<td>pull, push</td>" in again


def test_a_robot_for_some_repositories_that_expires(client, alice, acme):
    client.force_login(alice)
    client.post(
        "/orgs/acme/robots/",
        robot_data(
            all_repositories="",
            repositories="app, tools/lint",
            actions=["pull"],
            expires_in_days=30,
        ),
    )
    robot = Robot.objects.get(namespace=acme, name="ci")
    assert robot.repositories == ["app", "tools/lint"] and robot.actions == ["pull"]
    assert robot.expires_at is not None
    page = main(client.get("/orgs/acme/robots/"))
    assert "<code>app</code>, <code>tools/lint</code>" in page


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        (
            {"name": "CI!"},
            "name",
            "Robot names are 1–30 lowercase letters, digits and underscores, starting with a "
            "letter or digit.",
        ),
        (
            {"all_repositories": "", "repositories": ""},
            "repositories",
            "Tick “All repositories” or name the repositories it may use.",
        ),
        (
            {"all_repositories": "", "repositories": "Bad_Name"},
            "repositories",
            "&#x27;Bad_Name&#x27; is not a repository name.",
        ),
        ({"actions": []}, "actions", "This field is required."),
        (
            {"expires_in_days": "0"},
            "expires_in_days",
            "Ensure this value is greater than or equal to 1.",
        ),
    ],
)
def test_bad_robot_input_is_refused_next_to_the_field(
    client, alice, acme, overrides, field, message
):
    client.force_login(alice)
    response = client.post("/orgs/acme/robots/", robot_data(**overrides))
    assert response.status_code == 200
    assert f'<p class="error" id="id_{field}_error">{message}</p>' in main(response)
    assert not Robot.objects.exists()


def test_a_second_robot_of_the_same_name_is_refused(client, alice, acme):
    robot_create(namespace=acme, name="ci", created_by=alice, repositories=["*"], actions=["pull"])
    client.force_login(alice)
    page = main(client.post("/orgs/acme/robots/", robot_data()))
    assert '<p class="error" id="id_name_error">There already is a robot acme+ci.</p>' in page


def test_deleting_a_robot_revokes_it_at_once(client, alice, acme):
    robot, secret = robot_create(
        namespace=acme, name="ci", created_by=alice, repositories=["*"], actions=["pull"]
    )
    client.force_login(alice)
    response = client.post("/orgs/acme/robots/ci/delete/", follow=True)
    assert "Deleted acme+ci. Anything still using its secret fails now." in (
        response.content.decode()
    )
    assert robot_authenticate(raw=secret) is None
    assert not Robot.objects.exists()


def test_the_secret_is_shown_only_in_the_answer_that_made_it(client, alice, acme):
    from orgs import services

    services.org_create(user=alice, name="beta")
    client.force_login(alice)
    assert "new-robot-secret" in main(client.post("/orgs/acme/robots/", robot_data()))
    assert "new-robot-secret" not in main(client.get("/orgs/beta/robots/"))
    assert "new-robot-secret" not in main(client.get("/orgs/acme/robots/"))


def test_members_and_outsiders_find_no_robots_tab(client, alice, bob, carol, acme):
    robot_create(namespace=acme, name="ci", created_by=alice, repositories=["*"], actions=["pull"])
    for who in (bob, carol, None):
        if who:
            client.force_login(who)
        else:
            client.logout()
        assert client.get("/orgs/acme/robots/").status_code == 404
        assert client.post("/orgs/acme/robots/", robot_data(name="evil")).status_code == 404
        assert client.post("/orgs/acme/robots/ci/delete/").status_code == 404
    assert list(Robot.objects.values_list("name", flat=True)) == ["ci"]


def test_robots_cannot_use_the_pages(client, alice, acme):
    robot, _ = robot_create(
        namespace=acme, name="ci", created_by=alice, repositories=["*"], actions=["pull"]
    )
    client.force_login(robot.user)  # even with a session somehow, a robot is no member
    assert client.get("/orgs/acme/members/").status_code == 404
