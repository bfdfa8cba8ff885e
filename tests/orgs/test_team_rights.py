"""What team permissions and collaborators let people do beyond reading: trigger builds, push,
read full build logs; and what a refused push says (which right is missing, whom to ask)."""

import json

import pytest
from django.test import Client

from builds.models import Build
from hub.models import Repository
from orgs import services
from tests.api.conftest import signed_in
from tests.builds.api.conftest import one_off
from tests.factories import PASSWORD, UserFactory
from tests.hub.conftest import make_repo
from tests.orgs.test_matrix import basic


@pytest.fixture
def acme(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WHARF_URL = "http://testserver"
    settings.WHARF_BUILD_ALLOW_LOCAL_SOURCES = False
    people = {name: UserFactory(username=name) for name in ("alice", "reader", "writer", "member")}
    org = services.org_create(user=people["alice"], name="acme")
    services.member_add(org=org, username="member")
    app = Repository.objects.create(namespace=org, name="app", is_private=True)
    for level, who in (("read", "reader"), ("write", "writer")):
        team = services.team_create(org=org, name=f"{level}ers")
        services.team_member_add(team=team, username=who)
        services.team_permission_set(repository=app, team=team, permission=level)
    return people


def test_a_team_writer_triggers_builds_and_a_reader_may_not(acme):
    url = "/api/v2/repositories/acme/app/builds/"
    refused = signed_in(acme["reader"]).post(url, one_off(), format="json")
    assert refused.status_code == 403
    accepted = signed_in(acme["writer"]).post(url, one_off(), format="json")
    assert accepted.status_code in (201, 202), accepted.content
    build = Build.objects.get()
    assert build.triggered_by == acme["writer"]
    assert signed_in(acme["member"]).get(url).status_code == 404


def _push(username: str, target: str) -> tuple[int, dict]:
    auth = basic(username, PASSWORD)
    token = (
        Client()
        .get(
            f"/token?service=testserver&scope=repository:{target}:pull,push",
            HTTP_AUTHORIZATION=auth,
        )
        .json()["token"]
    )
    response = Client().post(f"/v2/{target}/blobs/uploads/", HTTP_AUTHORIZATION=f"Bearer {token}")
    body = json.loads(response.content) if response.content else {}
    return response.status_code, body


def test_refused_pushes_say_which_right_is_missing_and_whom_to_ask(acme):
    status, body = _push("reader", "acme/app")
    assert status == 403
    assert body["errors"][0]["message"] == (
        "push on acme/app needs write access, which reader does not have; ask an owner of acme"
    )
    status, body = _push("writer", "acme/new")  # write on one repository makes none
    assert status == 403
    assert body["errors"][0]["message"] == (
        "creating repositories in acme/ needs the owner or editor role there; ask an owner of "
        "acme, or push to your own namespace: writer/new"
    )
    assert _push("writer", "acme/app")[0] == 202
    assert _push("alice", "acme/new")[0] == 202  # an owner's first push creates it


def test_an_editor_creates_repositories_and_a_member_does_not(acme):
    org = Repository.objects.get(name="app").namespace
    UserFactory(username="editor")
    services.member_add(org=org, username="editor", role="editor")
    assert _push("editor", "acme/tools")[0] == 202
    assert _push("member", "acme/tools2")[0] == 403


def test_collaborators_push_to_a_user_s_repository_as_their_permission_allows(acme):
    vault = make_repo(acme["alice"], "vault", is_private=True)
    services.collaborator_set(repository=vault, username="writer", permission="write")
    services.collaborator_set(repository=vault, username="reader", permission="read")

    assert _push("writer", "alice/vault")[0] == 202
    status, body = _push("reader", "alice/vault")
    assert status == 403
    assert body["errors"][0]["message"] == (
        "push on alice/vault needs write access, which reader does not have; ask alice"
    )
    # To one who may not see it, it is as if it did not exist.
    hidden, missing = _push("member", "alice/vault"), _push("member", "alice/nothing")
    assert hidden[0] == missing[0] == 403
    message = hidden[1]["errors"][0]["message"]
    assert message.replace("vault", "nothing") == missing[1]["errors"][0]["message"]
