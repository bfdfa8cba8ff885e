"""Issue 10 review: those with *write* trigger builds; only admins configure what is built and
with which secrets, so write on one repository never reaches its admins' git token, secrets or
rights (a webhook build acts for whoever configured it)."""

import pytest
from django.test import Client

from builds import services
from builds.models import BuildSettings
from hub.models import Repository
from orgs import robots
from orgs import services as orgs
from tests.api.conftest import signed_in
from tests.builds.api.conftest import one_off
from tests.factories import UserFactory
from tests.orgs.test_matrix import basic

API = "/api/v2/repositories/acme/app"
GIT = "https://git.example.test/acme/app.git"


@pytest.fixture
def acme(db, settings):
    settings.WHARF_URL = "https://hub.example.test"
    settings.WHARF_BUILD_ALLOW_LOCAL_SOURCES = False
    alice, frank = UserFactory(username="alice"), UserFactory(username="frank")
    org = orgs.org_create(user=alice, name="acme")
    app = Repository.objects.create(namespace=org, name="app", is_private=True)
    team = orgs.team_create(org=org, name="writers")
    orgs.team_member_add(team=team, username="frank")
    orgs.team_permission_set(repository=app, team=team, permission="write")
    services.settings_source_update(repository=app, source_url=GIT, by=alice)
    services.settings_credentials_update(repository=app, username="alice", token="ghp_x", by=alice)
    services.secret_set(repository=app, name="NPM_TOKEN", value="npm_alicesecret")
    services.rule_create(repository=app, source="main", by=alice)
    return alice, frank, org, app


def test_a_writer_triggers_builds_but_cannot_configure_them(acme):
    alice, frank, org, app = acme
    writer = signed_in(frank)
    assert writer.post(f"{API}/builds/", one_off(source_url=GIT), format="json").status_code in (
        201,
        202,
    )
    refused = {
        "settings": writer.put(
            f"{API}/build-settings/", {"source_url": "https://evil.example/x.git"}, format="json"
        ),
        "rule": writer.post(f"{API}/build-rules/", {"source": "evil"}, format="json"),
        "secret": writer.post(
            f"{API}/build-secrets/", {"name": "X", "value": "xxxxx"}, format="json"
        ),
        "secrets list": writer.get(f"{API}/build-secrets/"),
        "regenerate": writer.post(f"{API}/build-settings/regenerate-secret/"),
    }
    assert {door: r.status_code for door, r in refused.items()} == dict.fromkeys(refused, 403)
    shown = writer.get(f"{API}/build-settings/").json()
    assert shown["trigger_secret"] is None and shown["git_username"] is None
    row = BuildSettings.objects.get(repository=app)
    assert (row.source_url, row.configured_by) == (GIT, alice)


def test_a_push_robot_cannot_configure_builds_either(acme):
    alice, _, org, _ = acme
    _, secret = robots.robot_create(
        namespace=org, name="ci", created_by=alice, repositories=["app"], actions=["pull", "push"]
    )
    robot = Client(HTTP_AUTHORIZATION=basic("acme+ci", secret))
    put = robot.put(
        f"{API}/build-settings/",
        {"source_url": "https://evil.example/x.git"},
        content_type="application/json",
    )
    assert put.status_code == 403
    assert robot.get(f"{API}/build-settings/").json()["trigger_secret"] is None


def test_the_builds_page_offers_writers_build_now_and_admins_the_settings(acme):
    alice, frank, *_ = acme
    page = Client()
    page.force_login(frank)
    body = page.get("/r/acme/app/builds/").content.decode()
    assert "Build now" in body and "build-settings" not in body.split("Build now")[0]
    assert "ghp_x" not in body and 'id="build-settings"' not in body
    saved = page.post("/r/acme/app/builds/source/", {"source_url": "https://evil.example/x.git"})
    assert saved.status_code == 404
    page.force_login(alice)
    assert 'id="build-settings"' in page.get("/r/acme/app/builds/").content.decode()


def test_moving_the_git_url_to_another_host_drops_its_credentials(acme):
    alice, _, _, app = acme
    assert services.source_credential_for(repository=app, source_url=GIT)
    services.settings_source_update(repository=app, source_url="https://other.example/a.git")
    row = BuildSettings.objects.get(repository=app)
    assert (row.git_username, row.git_token) == ("", "")
    assert not services.source_credential_for(
        repository=app, source_url="https://other.example/a.git"
    )
