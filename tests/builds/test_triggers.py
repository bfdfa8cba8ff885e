"""The trigger URL git hosts call: each way to prove the secret, each host's push payload."""

import hashlib
import hmac
import json

import pytest
from django.test import Client

from builds import services
from builds.models import Build
from builds.triggers import Ignored, PayloadError, parse_body, parse_push
from tests.api.conftest import make_repo, signed_in
from tests.factories import UserFactory

SHA = "9fceb02d0ae598e95dc970b74767f19372d61af8"
ZERO = "0" * 40


@pytest.fixture
def repo(db):
    repository = make_repo(UserFactory(username="alice"), "web")
    row = services.build_settings_for(repository=repository)
    row.source_url = "https://git.example.test/alice/web.git"
    row.save()
    services.rule_create(repository=repository, source="main", docker_tag="latest")
    services.rule_create(
        repository=repository, source_type="tag", source="/^v([0-9.]+)$/", docker_tag="{\\1}"
    )
    return repository


@pytest.fixture
def trigger(repo):
    row = services.build_settings_for(repository=repo)
    return f"/api/build-triggers/{row.trigger_uuid}/", row.trigger_secret


def post(url: str, payload, **headers):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return Client().post(url, body, content_type="application/json", **headers)


def sign(secret: str, payload: dict) -> tuple[bytes, str]:
    body = json.dumps(payload).encode()
    return body, hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def github_push(ref="refs/heads/main", message="Fix the build", **extra) -> dict:
    return {
        "ref": ref,
        "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        "after": SHA,
        "created": False,
        "deleted": False,
        "repository": {"full_name": "alice/web", "clone_url": "https://github.com/alice/web.git"},
        "pusher": {"name": "alice"},
        "head_commit": {"id": SHA, "message": message},
        "commits": [{"id": SHA, "message": message}],
        **extra,
    }


def gitlab_push(ref="refs/heads/main", message="Fix the build") -> dict:
    return {
        "object_kind": "push" if ref.startswith("refs/heads/") else "tag_push",
        "ref": ref,
        "before": "95790bf891e76fee5e1747ab589903a6a1f80f22",
        "after": SHA,
        "checkout_sha": SHA,
        "project": {"path_with_namespace": "alice/web"},
        # Oldest first, as GitLab sends them.
        "commits": [
            {"id": "b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327", "message": "Older [skip build]"},
            {"id": SHA, "message": message},
        ],
    }


def gitea_push(ref="refs/heads/main", message="Fix the build") -> dict:
    return {
        "ref": ref,
        "before": "28e1879d029cb852e4844d9c718537df08844e03",
        "after": SHA,
        "compare_url": "https://gitea.example.test/alice/web/compare/28e1879...9fceb02",
        "commits": [{"id": SHA, "message": message + "\n"}],
        "head_commit": {"id": SHA, "message": message + "\n"},
        "repository": {"full_name": "alice/web"},
    }


def built(response) -> list[tuple[str, str, list[str]]]:
    ids = response.json()["builds"]
    builds = Build.objects.filter(pk__in=ids).order_by("id")
    return [(b.source_type, b.source_ref, b.tags) for b in builds]


# --- Proving the secret ----------------------------------------------------------------------


def test_the_secret_in_the_query(trigger):
    url, secret = trigger
    response = post(f"{url}?token={secret}", {"ref": "main", "commit": SHA})
    assert response.status_code == 202
    assert built(response) == [("branch", "main", ["latest"])]


def test_the_secret_in_a_wharf_header(trigger, django_capture_on_commit_callbacks):
    url, secret = trigger
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(url, {"ref": "refs/heads/main"}, HTTP_X_WHARF_TOKEN=secret)
    assert response.status_code == 202
    assert len(callbacks) == 1
    assert Build.objects.get().trigger == "webhook"
    assert Build.objects.get().triggered_by is None


def test_gitlab_push_with_its_token_header(trigger):
    url, secret = trigger
    response = post(url, gitlab_push(), HTTP_X_GITLAB_TOKEN=secret, HTTP_X_GITLAB_EVENT="Push Hook")
    # The head commit's message counts, not an older one's in the same push.
    assert response.status_code == 202
    assert built(response) == [("branch", "main", ["latest"])]


def test_gitlab_tag_push(trigger):
    url, secret = trigger
    payload = gitlab_push(ref="refs/tags/v2.1")
    response = post(url, payload, HTTP_X_GITLAB_TOKEN=secret, HTTP_X_GITLAB_EVENT="Tag Push Hook")
    assert built(response) == [("tag", "v2.1", ["2.1"])]


def test_github_push_signed_with_hmac(trigger):
    url, secret = trigger
    body, signature = sign(secret, github_push())
    response = post(
        url, body, HTTP_X_HUB_SIGNATURE_256=f"sha256={signature}", HTTP_X_GITHUB_EVENT="push"
    )
    assert response.status_code == 202
    assert built(response) == [("branch", "main", ["latest"])]


def test_gitea_push_signed_with_hmac(trigger):
    url, secret = trigger
    body, signature = sign(secret, gitea_push(ref="refs/tags/v1.2.3"))
    response = post(url, body, HTTP_X_GITEA_SIGNATURE=signature, HTTP_X_GITEA_EVENT="push")
    assert response.status_code == 202
    assert built(response) == [("tag", "v1.2.3", ["1.2.3"])]


def test_github_form_encoded_payload(trigger):
    url, secret = trigger
    body = "payload=" + json.dumps(github_push(ref="refs/tags/v3"))
    signature = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    response = Client().post(
        url,
        body,
        content_type="application/x-www-form-urlencoded",
        HTTP_X_HUB_SIGNATURE_256=f"sha256={signature}",
    )
    assert built(response) == [("tag", "v3", ["3"])]


def test_a_signature_over_another_body_is_refused(trigger):
    url, secret = trigger
    _, signature = sign(secret, github_push(ref="refs/heads/other"))
    response = post(url, github_push(), HTTP_X_HUB_SIGNATURE_256=f"sha256={signature}")
    assert response.status_code == 403
    assert not Build.objects.exists()


@pytest.mark.parametrize(
    "headers", [{"HTTP_X_WHARF_TOKEN": "guess"}, {"HTTP_X_GITLAB_TOKEN": "guess"}]
)
def test_a_wrong_secret_is_refused_with_a_message(trigger, headers):
    url, _ = trigger
    response = post(url, {"ref": "main"}, **headers)
    assert response.status_code == 403
    assert response.json() == {
        "detail": "The trigger secret does not match. Copy it again from the repository's settings."
    }
    assert not Build.objects.exists()


def test_a_missing_secret_says_how_to_send_it(trigger):
    url, _ = trigger
    response = post(url, {"ref": "main"})
    assert response.status_code == 403
    assert "Send the trigger secret: ?token=" in response.json()["detail"]


def test_an_old_secret_stops_working_once_regenerated(trigger, repo):
    url, secret = trigger
    regenerate = "/api/v2/repositories/alice/web/build-settings/regenerate-secret/"
    assert signed_in(repo.namespace.owner).post(regenerate).status_code == 200

    assert post(url, {"ref": "main"}, HTTP_X_WHARF_TOKEN=secret).status_code == 403


def test_an_unknown_trigger_is_404(db):
    response = post("/api/build-triggers/5b8f2c1e-0000-4000-8000-000000000000/?token=x", {})
    assert response.status_code == 404
    assert response.json() == {"detail": "No such build trigger."}


# --- What gets built -------------------------------------------------------------------------


@pytest.mark.parametrize("marker", ["[skip build]", "[ci skip]", "[Skip Build]"])
def test_a_commit_message_can_skip_the_build(trigger, marker):
    url, secret = trigger
    response = post(url, github_push(message=f"Docs only {marker}"), HTTP_X_WHARF_TOKEN=secret)
    assert response.status_code == 200
    assert response.json()["skipped"] is True
    assert marker.lower() in response.json()["detail"]
    assert not Build.objects.exists()


def test_skip_in_the_plain_payload_message(trigger):
    url, secret = trigger
    payload = {"ref": "main", "message": "wip [skip build]"}
    assert post(url, payload, HTTP_X_WHARF_TOKEN=secret).json()["skipped"] is True


def test_branch_and_tag_refs_pick_their_own_rules(trigger, repo):
    services.rule_create(repository=repo, source="/^release-(.*)$/", docker_tag="{sourceref}")
    url, secret = trigger

    def push(ref):
        return post(url, {"ref": ref}, HTTP_X_WHARF_TOKEN=secret)

    assert built(push("refs/heads/release-7")) == [("branch", "release-7", ["release-7"])]
    assert built(push("refs/tags/v4.0")) == [("tag", "v4.0", ["4.0"])]
    # A branch named like a tag rule's pattern is not a tag.
    assert push("refs/heads/v4.0").json()["builds"] == []


def test_a_bare_ref_is_a_branch_unless_the_payload_says_tag(trigger):
    url, secret = trigger
    response = post(url, {"ref": "v5", "source_type": "tag"}, HTTP_X_WHARF_TOKEN=secret)
    assert built(response) == [("tag", "v5", ["5"])]


def test_no_matching_rule_answers_200_with_a_message(trigger):
    url, secret = trigger
    response = post(url, {"ref": "refs/heads/feature"}, HTTP_X_WHARF_TOKEN=secret)
    assert response.status_code == 200
    assert response.json() == {
        "builds": [],
        "detail": "No active autobuild rule covers branch “feature”.",
    }


def test_rules_without_autobuild_or_inactive_do_not_build_on_push(trigger, repo):
    repo.build_rules.filter(source="main").update(autobuild=False)
    services.rule_create(repository=repo, source="/^ma/", active=False)
    url, secret = trigger
    response = post(url, {"ref": "main"}, HTTP_X_WHARF_TOKEN=secret)
    assert response.json()["builds"] == []


@pytest.mark.parametrize(
    "payload",
    [
        github_push(deleted=True, after=ZERO),
        {**gitlab_push(), "after": ZERO, "checkout_sha": None},
    ],
)
def test_a_deleted_ref_is_ignored(trigger, payload):
    url, secret = trigger
    response = post(url, payload, HTTP_X_WHARF_TOKEN=secret)
    assert response.status_code == 200
    assert response.json()["ignored"] is True
    assert "deleted branch “main”" in response.json()["detail"]
    assert not Build.objects.exists()


def test_a_github_ping_answers_that_the_hook_works(trigger):
    url, secret = trigger
    response = post(
        url, {"zen": "Keep it simple."}, HTTP_X_WHARF_TOKEN=secret, HTTP_X_GITHUB_EVENT="ping"
    )
    assert response.status_code == 200
    assert response.json()["detail"].startswith("Pong")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "The body is not valid JSON"),
        (b"[1, 2]", "The body must be a JSON object"),
        (b"{}", "Name the ref to build"),
        (b'{"ref": 7}', "Name the ref to build"),
    ],
)
def test_an_unreadable_payload_is_400_with_a_message(trigger, body, message):
    url, secret = trigger
    response = post(url, body, HTTP_X_WHARF_TOKEN=secret)
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_an_option_like_ref_is_refused(trigger, repo):
    services.rule_create(repository=repo, source="/.*/")
    url, secret = trigger
    response = post(url, {"ref": "--upload-pack=touch"}, HTTP_X_WHARF_TOKEN=secret)
    assert response.status_code == 400
    assert "is not a valid git branch or tag name" in response.json()["detail"]
    assert not Build.objects.exists()


def test_a_repository_without_a_git_url_says_so(repo, trigger):
    services.build_settings_for(repository=repo).__class__.objects.update(source_url="")
    url, secret = trigger
    response = post(url, {"ref": "main"}, HTTP_X_WHARF_TOKEN=secret)
    assert response.status_code == 400
    assert response.json() == {"detail": "Set the repository's git URL first."}


# --- Payload parsing on its own --------------------------------------------------------------


def test_parse_push_reads_each_hosts_head_commit():
    github = parse_push(github_push(message="gh"), {"X-GitHub-Event": "push"})
    gitlab = parse_push(gitlab_push(message="gl"), {"X-Gitlab-Event": "Push Hook"})
    gitea = parse_push(gitea_push(message="gt"), {"X-Gitea-Event": "push"})

    assert (github.source_type, github.ref, github.commit, github.message) == (
        "branch",
        "main",
        SHA,
        "gh",
    )
    assert (gitlab.commit, gitlab.message) == (SHA, "gl")
    assert (gitea.commit, gitea.message.strip()) == (SHA, "gt")
    assert gitlab.skip_marker is None  # the older commit's marker does not count


def test_parse_push_ignores_refs_that_are_not_branches_or_tags():
    with pytest.raises(Ignored, match="neither a branch nor a tag"):
        parse_push({"ref": "refs/merge-requests/1/head"}, {})


def test_parse_push_ignores_other_events():
    with pytest.raises(Ignored, match="“issues” events do not start builds"):
        parse_push({"ref": "main"}, {"X-GitHub-Event": "issues"})


def test_parse_body_refuses_non_utf8_forms():
    with pytest.raises(PayloadError):
        parse_body(b"payload=\xff", "application/x-www-form-urlencoded")
