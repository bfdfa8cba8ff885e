"""What only those who may push see: trigger secrets (finding 6), git credentials (3), build-arg
values and secret build values (12), full command lines (13); and a broker that cannot take a
build (7). Two real users, the real API, pages and raw log."""

import pytest
from celery.contrib.testing.worker import start_worker  # noqa: F401  (documents the worker)
from django.apps import apps

from builds import services
from builds.models import Build, BuildLogLine, BuildRule, BuildSecret, BuildSettings
from builds.queue import QUEUE_UNAVAILABLE
from hub import celery_app
from tests.api.conftest import as_token, signed_in
from tests.builds.api.conftest import API, GIT_URL, queued
from tests.factories import UserFactory, make_token

TOKEN = "ghp_" + "x7" * 18


@pytest.fixture
def tokens(owner):
    return {
        scope: as_token(make_token(owner, scope=scope)[1])
        for scope in ("read", "read_write", "read_write_delete")
    }


def test_a_read_only_token_gets_no_trigger_secret(repo, tokens, clients):
    """Finding 6: the secret would let a read-only token start builds that push."""
    read = tokens["read"].get(f"{API}/web/build-settings/").json()
    assert read["trigger_secret"] is None and read["git_username"] is None
    assert read["secrets"] is None
    write = tokens["read_write"].get(f"{API}/web/build-settings/").json()
    assert write["trigger_secret"] == services.build_settings_for(repository=repo).trigger_secret
    assert clients["other"].get(f"{API}/web/build-settings/").json()["trigger_secret"] is None
    # And it cannot trigger by itself.
    response = tokens["read"].post(f"{API}/web/builds/", {"source": "main"}, format="json")
    assert response.status_code == 403


def test_a_password_in_the_git_url_is_kept_as_credentials_and_never_shown(repo, clients):
    url = f"https://bot:{TOKEN}@git.example.test/alice/web.git"
    response = clients["owner"].put(
        f"{API}/web/build-settings/", {"source_url": url}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["source_url"] == "https://git.example.test/alice/web.git"
    assert body["git_username"] == "bot" and body["has_git_token"] is True
    assert TOKEN not in response.content.decode()
    row = BuildSettings.objects.get(repository=repo)
    assert TOKEN not in row.source_url and TOKEN not in row.git_token  # encrypted at rest
    assert TOKEN not in clients["owner"].get(f"{API}/web/build-settings/").content.decode()


def test_credentials_are_set_write_only_and_go_with_builds_to_their_host_only(repo, clients):
    response = clients["owner"].put(
        f"{API}/web/build-settings/",
        {"git_username": "bot", "git_token": TOKEN},
        format="json",
    )
    assert response.status_code == 200 and TOKEN not in response.content.decode()
    assert response.json()["has_git_token"] is True

    same_host = queued(repo)
    elsewhere = services.build_create(
        repository=repo, source_url="https://other.example.test/x.git", source_ref="main"
    )
    assert same_host.source_login() == ("bot", TOKEN)
    assert elsewhere.source_login() is None  # never sent to another host
    detail = clients["owner"].get(f"{API}/web/builds/{same_host.pk}/").content.decode()
    assert TOKEN not in detail

    removed = (
        clients["owner"].put(f"{API}/web/build-settings/", {"git_token": ""}, format="json").json()
    )
    assert removed["has_git_token"] is False and removed["git_username"] == ""


def test_a_token_without_a_user_name_is_refused_with_a_reason(repo, clients):
    response = clients["owner"].put(
        f"{API}/web/build-settings/", {"git_token": TOKEN}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["git_username"] == ["Give the user name the token belongs to."]


def test_a_one_off_build_keeps_a_url_password_encrypted(
    repo, clients, django_capture_on_commit_callbacks
):
    url = f"https://ci:{TOKEN}@git.example.test/alice/tool.git"
    with django_capture_on_commit_callbacks(execute=False):
        response = clients["owner"].post(
            f"{API}/web/builds/", {"source_url": url, "source": "main"}, format="json"
        )
    assert response.status_code == 201
    assert TOKEN not in response.content.decode()
    build = Build.objects.get(pk=response.json()["id"])
    assert build.source_url == "https://git.example.test/alice/tool.git"
    assert TOKEN not in build.source_credential and build.source_login() == ("ci", TOKEN)


def test_stored_urls_with_passwords_are_cleaned_by_the_migration(repo):
    from importlib import import_module

    migration = import_module("builds.migrations.0002_tenants_apart")
    BuildSettings.objects.filter(repository=repo).update(
        source_url=f"https://bot:{TOKEN}@git.example.test/w.git"
    )
    old = queued(repo)
    Build.objects.filter(pk=old.pk).update(source_url=f"https://bot:{TOKEN}@git.example.test/w.git")

    migration.move_url_passwords(apps, None)

    row = BuildSettings.objects.get(repository=repo)
    assert row.source_url == "https://git.example.test/w.git" and row.git_username == "bot"
    old.refresh_from_db()
    assert old.source_url == "https://git.example.test/w.git"
    assert old.source_login() == ("bot", TOKEN)


def test_build_arg_values_are_for_writers_only(repo, clients, tokens):
    rule = services.rule_create(repository=repo, build_args={"REGISTRY_MIRROR": "m.internal"})
    build = queued(repo, build_args={"REGISTRY_MIRROR": "m.internal"})
    for viewer in (clients["anonymous"], clients["other"], tokens["read"]):
        rules = viewer.get(f"{API}/web/build-rules/").json()["results"]
        assert rules[0]["build_args"] == {"REGISTRY_MIRROR": None}
        assert viewer.get(f"{API}/web/build-rules/{rule.pk}/").json()["build_args"] == {
            "REGISTRY_MIRROR": None
        }
        assert viewer.get(f"{API}/web/builds/{build.pk}/").json()["build_args"] == {
            "REGISTRY_MIRROR": None
        }
    assert clients["owner"].get(f"{API}/web/build-rules/{rule.pk}/").json()["build_args"] == {
        "REGISTRY_MIRROR": "m.internal"
    }


def test_secrets_are_write_only(repo, clients, tokens):
    created = clients["owner"].post(
        f"{API}/web/build-secrets/", {"name": "NPM_TOKEN", "value": TOKEN}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["name"] == "NPM_TOKEN" and TOKEN not in created.content.decode()
    assert "RUN --mount=type=secret,id=NPM_TOKEN" in created.json()["mount"]
    listed = clients["owner"].get(f"{API}/web/build-secrets/")
    assert [s["name"] for s in listed.json()["results"]] == ["NPM_TOKEN"]
    assert TOKEN not in listed.content.decode()
    assert TOKEN not in BuildSecret.objects.get().value  # encrypted at rest
    assert clients["owner"].get(f"{API}/web/build-settings/").json()["secrets"] == ["NPM_TOKEN"]
    # Nobody else may list them, nor may a read-only token.
    assert clients["other"].get(f"{API}/web/build-secrets/").status_code == 403
    assert tokens["read"].get(f"{API}/web/build-secrets/").status_code == 403
    assert clients["anonymous"].get(f"{API}/web/build-secrets/").status_code == 401

    gone = clients["owner"].delete(f"{API}/web/build-secrets/NPM_TOKEN/")
    assert gone.status_code == 204 and not BuildSecret.objects.exists()
    missing = clients["owner"].delete(f"{API}/web/build-secrets/NPM_TOKEN/")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "No secret NPM_TOKEN in alice/web."


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "9lives", "value": "long enough"}, "name", "A secret's name is letters"),
        ({"name": "A", "value": "ab"}, "value", "A secret value has at least 4 characters."),
    ],
)
def test_a_bad_secret_is_refused_with_a_reason(repo, clients, body, field, message):
    response = clients["owner"].post(f"{API}/web/build-secrets/", body, format="json")
    assert response.status_code == 400
    assert message in response.json()[field][0]


@pytest.fixture
def logged(repo):
    build = queued(repo)
    BuildLogLine.objects.bulk_create(
        [
            BuildLogLine(build=build, seq=1, text="$ buildah bud -f Dockerfile ."),
            BuildLogLine(
                build=build,
                seq=2,
                text="$ buildah --root /var/lib/wharf/repos/1 bud --build-arg K=v .",
                private=True,
            ),
            BuildLogLine(build=build, seq=3, text="STEP 1/1: FROM busybox"),
        ]
    )
    Build.objects.filter(pk=build.pk).update(
        last_seq=3, status="success", digest="sha256:" + "a" * 64
    )
    return build


def test_full_command_lines_are_for_writers_only(logged, repo, clients, tokens, client, owner):
    """Finding 13: the API, the page and the raw log show others the public lines only."""
    url = f"{API}/web/builds/{logged.pk}/logs/"
    for viewer in (clients["anonymous"], clients["other"], tokens["read"]):
        body = viewer.get(url).json()
        assert [line["seq"] for line in body["lines"]] == [1, 3]
        assert body["last_seq"] == 3 and body["final"] is True
        assert "/var/lib/wharf" not in viewer.get(url + "?format=text").content.decode()
    assert [line["seq"] for line in clients["owner"].get(url).json()["lines"]] == [1, 2, 3]

    page = f"/r/alice/web/builds/{logged.pk}/"
    assert "/var/lib/wharf" not in client.get(page).content.decode()
    assert "/var/lib/wharf" not in client.get(page + "log.txt").content.decode()
    client.force_login(owner)
    assert "--build-arg K=v" in client.get(page + "log.txt").content.decode()
    assert "--build-arg K=v" in client.get(page).content.decode()


@pytest.fixture
def broker_down():
    """The broker refuses connections: a Redis socket nobody listens on."""

    def reset() -> None:  # the app keeps a connection pool and a producer pool on them
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    url = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis+socket:///nonexistent/wharf-test-redis.sock"
    reset()
    yield
    celery_app.conf.broker_url = url
    reset()


def test_a_build_the_broker_cannot_take_ends_at_once_with_503(transactional_db, broker_down):
    """Finding 7: the request says so, and the build does not sit queued for ever."""
    owner = UserFactory(username="alice")
    from tests.api.conftest import make_repo

    repository = make_repo(owner, "web")
    services.rule_create(repository=repository)
    services.settings_source_update(repository=repository, source_url=GIT_URL)

    one_off = signed_in(owner).post(
        f"{API}/web/builds/", {"source_url": GIT_URL, "source": "main"}, format="json"
    )
    by_rule = signed_in(owner).post(f"{API}/web/builds/", {"source": "main"}, format="json")

    for response in (one_off, by_rule):
        assert response.status_code == 503
        assert response.json() == {"detail": QUEUE_UNAVAILABLE}
    builds = list(Build.objects.all())
    assert len(builds) == 2
    for build in builds:
        assert build.status == "error" and build.error == QUEUE_UNAVAILABLE
        assert build.finished_at is not None
        assert build.log_lines.get().text == QUEUE_UNAVAILABLE
    assert BuildRule.objects.count() == 1
