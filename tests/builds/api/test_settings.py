"""The builds REST API: build settings, rules, and the schema of every build endpoint."""

import pytest

from accounts.models import AccessToken
from builds import services
from builds.models import BuildRule
from tests.api.conftest import as_token
from tests.builds.api.conftest import API, GIT_URL
from tests.factories import make_token

# --- Build settings --------------------------------------------------------------------------


def test_settings_show_the_trigger_url_and_the_secret_to_writers_only(repo, clients):
    row = services.build_settings_for(repository=repo)
    services.rule_create(repository=repo, source="main")

    mine = clients["owner"].get(f"{API}/web/build-settings/").json()
    theirs = clients["other"].get(f"{API}/web/build-settings/").json()

    trigger_url = f"https://hub.example.test/api/build-triggers/{row.trigger_uuid}/"
    assert (mine["source_url"], mine["trigger_url"], mine["automated"]) == (
        GIT_URL,
        trigger_url,
        True,
    )
    assert mine["trigger_secret"] == row.trigger_secret
    assert theirs["trigger_secret"] is None
    assert theirs["trigger_url"] == trigger_url


def test_settings_set_the_git_url(repo, clients):
    url = "git@git.example.test:alice/web.git"
    response = clients["owner"].put(f"{API}/web/build-settings/", {"source_url": url})

    assert response.status_code == 200
    assert response.json()["source_url"] == url
    assert services.build_settings_for(repository=repo).source_url == url


def test_settings_with_an_empty_git_url_clear_it(repo, clients):
    response = clients["owner"].put(f"{API}/web/build-settings/", {"source_url": ""})

    assert response.status_code == 200
    assert services.build_settings_for(repository=repo).source_url == ""


def test_settings_refuse_a_bad_git_url_with_its_reason(repo, clients):
    response = clients["owner"].put(
        f"{API}/web/build-settings/", {"source_url": "file:///etc"}, format="json"
    )

    assert response.status_code == 400
    assert "file:// URLs are disabled" in response.json()["source_url"][0]
    assert services.build_settings_for(repository=repo).source_url == GIT_URL


def test_settings_are_changed_only_by_writers(repo, clients):
    response = clients["other"].put(f"{API}/web/build-settings/", {"source_url": ""})
    assert response.status_code == 403
    assert services.build_settings_for(repository=repo).source_url == GIT_URL


def test_regenerating_the_secret_replaces_it(repo, clients):
    old = services.build_settings_for(repository=repo).trigger_secret

    response = clients["owner"].post(f"{API}/web/build-settings/regenerate-secret/")

    assert response.status_code == 200
    new = response.json()["trigger_secret"]
    assert new != old and len(new) >= 32
    assert services.build_settings_for(repository=repo).trigger_secret == new
    assert clients["other"].post(f"{API}/web/build-settings/regenerate-secret/").status_code == 403


# --- Build rules -----------------------------------------------------------------------------


def test_rules_crud_and_the_automated_flag_follows_active_rules(repo, clients):
    client = clients["owner"]
    created = client.post(
        f"{API}/web/build-rules/",
        {"source_type": "tag", "source": "/^v([0-9.]+)$/", "docker_tag": "{\\1}"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    rule = created.json()
    assert (rule["dockerfile"], rule["context"], rule["cache"], rule["autobuild"]) == (
        "Dockerfile",
        ".",
        True,
        True,
    )
    repo.refresh_from_db()
    assert repo.is_automated

    url = f"{API}/web/build-rules/{rule['id']}/"
    assert client.get(f"{API}/web/build-rules/").json()["count"] == 1
    patched = client.patch(url, {"active": False, "build_args": {"V": "2"}}, format="json")
    assert (patched.json()["active"], patched.json()["build_args"]) == (False, {"V": "2"})
    repo.refresh_from_db()
    assert not repo.is_automated

    replaced = client.put(url, {"source": "main"}, format="json").json()
    assert (replaced["source_type"], replaced["docker_tag"], replaced["active"]) == (
        "branch",
        "latest",
        True,
    )
    repo.refresh_from_db()
    assert repo.is_automated

    assert client.delete(url).status_code == 204
    repo.refresh_from_db()
    assert not repo.is_automated
    assert not BuildRule.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"source": "/^v(/"}, "source", "The source regex does not compile"),
        ({"source": "-x"}, "source", "is not a valid git branch or tag name"),
        ({"docker_tag": "{nope}"}, "docker_tag", "templates may use {sourceref}"),
        ({"context": "../up"}, "context", "must stay inside the repository"),
        ({"build_args": {"a-b": "1"}}, "build_args", "must be letters, digits and _"),
        ({"source_type": "commit"}, "source_type", "is not a valid choice"),
    ],
)
def test_rules_refuse_bad_fields_with_a_message(repo, clients, fields, field, message):
    response = clients["owner"].post(f"{API}/web/build-rules/", fields, format="json")

    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert not BuildRule.objects.exists()


def test_rules_are_edited_only_by_writers(repo, clients):
    rule = services.rule_create(repository=repo, source="main")
    url = f"{API}/web/build-rules/{rule.pk}/"

    assert clients["other"].get(url).status_code == 200
    assert clients["other"].patch(url, {"active": False}, format="json").status_code == 403
    assert clients["other"].delete(url).status_code == 403
    assert clients["anonymous"].post(f"{API}/web/build-rules/", {}).status_code == 401
    assert BuildRule.objects.get().active


def test_a_read_write_token_may_delete_a_rule(repo, owner):
    rule = services.rule_create(repository=repo, source="main")
    _, raw = make_token(owner, AccessToken.Scope.READ_WRITE)

    response = as_token(raw).delete(f"{API}/web/build-rules/{rule.pk}/")

    assert response.status_code == 204


# --- Schema ----------------------------------------------------------------------------------

BUILD_PATHS = {
    "/api/v2/repositories/{namespace}/{name}/builds/": {"get", "post"},
    "/api/v2/repositories/{namespace}/{name}/builds/{build_id}/": {"get"},
    "/api/v2/repositories/{namespace}/{name}/builds/{build_id}/cancel/": {"post"},
    "/api/v2/repositories/{namespace}/{name}/builds/{build_id}/logs/": {"get"},
    "/api/v2/repositories/{namespace}/{name}/build-settings/": {"get", "put"},
    "/api/v2/repositories/{namespace}/{name}/build-settings/regenerate-secret/": {"post"},
    "/api/v2/repositories/{namespace}/{name}/build-rules/": {"get", "post"},
    "/api/v2/repositories/{namespace}/{name}/build-rules/{rule_id}/": {
        "get",
        "put",
        "patch",
        "delete",
    },
    "/api/v2/repositories/{namespace}/{name}/build-secrets/": {"get", "post"},
    "/api/v2/repositories/{namespace}/{name}/build-secrets/{secret}/": {"delete"},
    "/api/build-triggers/{trigger_uuid}/": {"post"},
}


def test_every_build_endpoint_is_described_in_the_schema(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    for path, methods in BUILD_PATHS.items():
        assert set(schema["paths"][path]) - {"parameters"} == methods, path
        for method in methods:
            operation = schema["paths"][path][method]
            assert operation["summary"], (method, path)
            assert any(code.startswith("4") for code in operation["responses"]), (method, path)
