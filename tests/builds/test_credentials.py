"""A build's registry credentials: the starter's rights, the phase's actions, and no life after
the phase or the build (builds/credentials.py), through the real token endpoint and /v2/."""

import pytest
from django.utils import timezone

from builds import credentials
from builds.models import Build, BuildSettings
from builds.reaper import reap_lost
from builds.services import build_settings_for, rule_create, settings_source_update
from hub.registry import tokens
from hub.services import repository_get_or_create
from orgs.services import collaborator_set
from tests.factories import UserFactory
from tests.registry.conftest import basic

GIT = "https://git.example.test/alice/app.git"


@pytest.fixture
def users(db):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    secret = repository_get_or_create(namespace="alice", name="secret", user=alice)
    secret.is_private = True
    secret.save()
    repository_get_or_create(namespace="alice", name="public", user=alice)
    return alice, bob


def running(repository_name: str, user, **fields) -> Build:
    namespace, name = repository_name.split("/")
    repository = repository_get_or_create(namespace=namespace, name=name, user=user)
    return Build.objects.create(
        repository=repository,
        triggered_by=user,
        source_url="https://git.example.test/x.git",
        source_ref="main",
        status="building",
        heartbeat_at=timezone.now(),
        **fields,
    )


def access(client, credential: str, *scopes: str) -> dict:
    query = "&".join(f"scope=repository:{scope}" for scope in scopes)
    response = client.get(
        f"/token?service=testserver&{query}",
        HTTP_AUTHORIZATION=basic(tokens.BUILD_USERNAME, credential),
    )
    assert response.status_code == 200, response.content
    return {
        name: actions
        for (_, name), actions in tokens.verify(response.json()["token"]).access.items()
    }


def test_a_pull_credential_pulls_what_its_starter_may_and_pushes_nothing(client, users):
    alice, bob = users
    build = running("bob/app", bob)
    secret = credentials.issue(build, phase=credentials.PULL, ttl=600)

    granted = access(client, secret, "bob/app:pull,push", "alice/secret:pull", "alice/public:pull")

    assert granted["bob/app"] == {"pull"}
    assert granted["alice/secret"] == set()  # bob may not read alice's private repository
    assert granted["alice/public"] == {"pull"}


def test_the_starter_s_own_private_repositories_are_readable_to_their_builds(client, users):
    alice, _ = users
    build = running("alice/app", alice)
    secret = credentials.issue(build, phase=credentials.PULL, ttl=600)
    assert access(client, secret, "alice/secret:pull")["alice/secret"] == {"pull"}


def test_a_push_credential_pushes_its_own_repository_only(client, users):
    alice, bob = users
    build = running("bob/app", bob)
    secret = credentials.issue(build, phase=credentials.PUSH, ttl=600)

    granted = access(client, secret, "bob/app:pull,push,delete", "bob/other:push", "library/x:push")

    assert granted["bob/app"] == {"pull", "push"}
    assert granted["bob/other"] == set() and granted["library/x"] == set()


def test_a_webhook_build_acts_for_who_configured_the_builds_never_for_the_owner(client, users):
    """Issue 10 review: a collaborator (or robot) with admin on alice/app who configures its
    builds must not get alice's rights through webhook builds; alice configuring keeps hers."""
    alice, bob = users
    build = running("alice/app", alice)
    Build.objects.filter(pk=build.pk).update(triggered_by=None, trigger="webhook")
    row = build_settings_for(repository=build.repository)

    def pulls() -> set[str]:
        secret = credentials.issue(Build.objects.get(pk=build.pk), phase=credentials.PULL, ttl=600)
        return access(client, secret, "alice/secret:pull")["alice/secret"]

    settings_source_update(repository=build.repository, source_url=GIT, by=alice)
    assert pulls() == {"pull"}
    collaborator_set(repository=build.repository, username="bob", permission="admin")
    rule_create(repository=build.repository, by=bob)  # bob now chooses what builds build
    assert pulls() == set()
    row.refresh_from_db()
    assert row.configured_by == bob
    BuildSettings.objects.filter(pk=row.pk).update(configured_by=None)  # bob's account gone
    assert pulls() == set()
    assert access(
        client,
        credentials.issue(Build.objects.get(pk=build.pk), phase=credentials.PUSH, ttl=600),
        "alice/app:pull,push",
    )["alice/app"] == {"pull", "push"}  # its own repository still


def test_a_credential_stops_working_when_its_phase_ends(client, users):
    _, bob = users
    build = running("bob/app", bob)
    pull = credentials.issue(build, phase=credentials.PULL, ttl=600)
    token = client.get(
        "/token?service=testserver&scope=repository:bob/app:pull",
        HTTP_AUTHORIZATION=basic(tokens.BUILD_USERNAME, pull),
    ).json()["token"]
    assert client.get("/v2/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200

    push = credentials.issue(build, phase=credentials.PUSH, ttl=600)  # the next phase

    refused = client.get("/token", HTTP_AUTHORIZATION=basic(tokens.BUILD_USERNAME, pull))
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["message"] == (
        "invalid, expired or revoked build credential"
    )
    # A bearer token issued for the old one ends with it, not minutes later.
    stale = client.get("/v2/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert stale.status_code == 401
    assert "finished this step" in stale.json()["errors"][0]["message"]
    assert access(client, push, "bob/app:push")["bob/app"] == {"push"}
    credentials.revoke(build)
    assert (
        client.get("/token", HTTP_AUTHORIZATION=basic(tokens.BUILD_USERNAME, push)).status_code
        == 401
    )


def test_no_credential_outlives_its_build(client, users):
    """A build that ends however it ends (here: its worker died) revokes what it held, even a
    credential still lying in the scratch directory of the killed build."""
    _, bob = users
    build = running("bob/app", bob)
    secret = credentials.issue(build, phase=credentials.PUSH, ttl=3600)
    Build.objects.filter(pk=build.pk).update(
        heartbeat_at=timezone.now() - timezone.timedelta(hours=1)
    )

    assert reap_lost() == 1

    response = client.get("/token", HTTP_AUTHORIZATION=basic(tokens.BUILD_USERNAME, secret))
    assert response.status_code == 401


def test_a_forged_build_credential_is_refused(client):
    response = client.get("/token", HTTP_AUTHORIZATION=basic(tokens.BUILD_USERNAME, "not-a-jwt"))
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "invalid, expired or revoked build credential"


def test_a_disabled_starter_s_builds_pull_nothing(client, users):
    _, bob = users
    build = running("bob/app", bob)
    secret = credentials.issue(build, phase=credentials.PULL, ttl=600)
    bob.is_active = False
    bob.save()
    response = client.get("/token", HTTP_AUTHORIZATION=basic(tokens.BUILD_USERNAME, secret))
    assert response.status_code == 401
