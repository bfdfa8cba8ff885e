"""The builds REST API: trigger, history, logs and cancel (settings and rules: test_settings.py).

Builds are queued with ``transaction.on_commit``; in these ``db`` tests the callback never runs,
so no worker is needed: the tests read the Build rows and count the scheduled callbacks.
"""

import pytest
from django.utils import timezone

from accounts.models import AccessToken
from builds import services
from builds.models import Build, BuildLogLine
from tests.api.conftest import as_token, make_repo, signed_in
from tests.builds.api.conftest import API, one_off, queued
from tests.factories import make_token

# --- Triggering ------------------------------------------------------------------------------


def test_trigger_by_ref_queues_one_build_per_matching_rule(
    repo, owner, django_capture_on_commit_callbacks
):
    services.rule_create(repository=repo, source="main", docker_tag="latest")
    services.rule_create(repository=repo, source="/^ma(.*)$/", docker_tag="edge-{\\1}")
    services.rule_create(repository=repo, source="develop", docker_tag="dev")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = signed_in(owner).post(
            f"{API}/web/builds/", {"source_type": "branch", "source": "main"}, format="json"
        )

    assert response.status_code == 201
    builds = response.json()["builds"]
    assert [b["tags"] for b in builds] == [["latest"], ["edge-in"]]
    assert {b["status"] for b in builds} == {"queued"}
    assert {b["trigger"] for b in builds} == {"api"}
    assert {b["triggered_by"] for b in builds} == {"alice"}
    assert len(callbacks) == 2  # each build handed to a worker once the request commits
    assert Build.objects.filter(repository=repo, source_ref="main").count() == 2


def test_trigger_answers_the_urls_to_follow_the_build(repo, owner):
    response = signed_in(owner).post(f"{API}/web/builds/", one_off(), format="json")

    build = response.json()
    assert build["urls"] == {
        "api": f"https://hub.example.test/api/v2/repositories/alice/web/builds/{build['id']}/",
        "page": f"https://hub.example.test/r/alice/web/builds/{build['id']}/",
        "logs": f"https://hub.example.test/api/v2/repositories/alice/web/builds/{build['id']}/logs/",
        "websocket": f"wss://hub.example.test/ws/builds/{build['id']}/",
    }


def test_one_off_build_from_any_git_url(repo, owner, django_capture_on_commit_callbacks):
    payload = one_off(
        source_url="https://other.example.test/tools.git",
        source_type="tag",
        source="v1.2",
        dockerfile="docker/Dockerfile.prod",
        context="/docker",
        tags=["1.2", "stable"],
        build_args={"GREETING": "hi"},
        no_cache=True,
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = signed_in(owner).post(f"{API}/web/builds/", payload, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "queued"
    build = Build.objects.get(pk=body["id"])
    assert (build.source_url, build.source_type, build.source_ref) == (
        "https://other.example.test/tools.git",
        "tag",
        "v1.2",
    )
    assert (build.dockerfile, build.context) == ("docker/Dockerfile.prod", "docker")
    assert build.tags == ["1.2", "stable"]
    assert build.build_args == {"GREETING": "hi"}
    assert build.no_cache is True
    assert build.rule is None
    assert len(callbacks) == 1


def test_one_off_build_takes_a_single_tag(repo, owner):
    response = signed_in(owner).post(f"{API}/web/builds/", one_off(tag="nightly"), format="json")
    assert response.json()["tags"] == ["nightly"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"source_url": "ftp://git.example.test/web.git"}, "source_url", "Use an https://"),
        ({"source_url": "ext::sh"}, "source_url", "transport helpers (such as ext::)"),
        ({"source_url": "file:///srv/git/web"}, "source_url", "file:// URLs are disabled"),
        ({"source_url": "/srv/git/web"}, "source_url", "file:// URLs are disabled"),
        ({"source_url": "--upload-pack=touch"}, "source_url", "start with “-”"),
        ({"context": "../outside"}, "context", "must stay inside the repository"),
        ({"dockerfile": "a/../../Dockerfile"}, "dockerfile", "must stay inside the repository"),
        ({"dockerfile": "-f"}, "dockerfile", "cannot start with “-”"),
        ({"source": "--upload-pack=touch"}, "source", "is not a valid git branch or tag name"),
        ({"source": "main..dev"}, "source", "is not a valid git branch or tag name"),
        ({"tag": "Not a tag!"}, "tag", "A Docker tag is letters"),
        ({"build_args": {"1BAD": "x"}}, "build_args", "must be letters, digits and _"),
        ({"source_type": "commit"}, "source_type", "is not a valid choice"),
    ],
)
def test_one_off_build_refuses_bad_input_with_a_message(repo, owner, fields, field, message):
    response = signed_in(owner).post(f"{API}/web/builds/", one_off(**fields), format="json")

    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert not Build.objects.exists()


def test_local_sources_are_allowed_when_the_setting_says_so(repo, owner, settings):
    settings.WHARF_BUILD_ALLOW_LOCAL_SOURCES = True
    payload = one_off(source_url="file:///srv/git/web")

    response = signed_in(owner).post(f"{API}/web/builds/", payload, format="json")

    assert response.status_code == 201
    assert Build.objects.get().source_url == "file:///srv/git/web"


def test_trigger_by_ref_without_a_matching_rule_says_which_rules_exist(repo, owner):
    services.rule_create(repository=repo, source="main")
    services.rule_create(repository=repo, source_type="tag", source="/^v.*$/")

    response = signed_in(owner).post(
        f"{API}/web/builds/", {"source_type": "branch", "source": "feature"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "source": [
            "No active build rule covers branch “feature”. Active rules: branch main, tag /^v.*$/."
        ]
    }


def test_trigger_by_ref_without_a_git_url_says_how_to_set_one(owner):
    repository = make_repo(owner, "bare")
    services.rule_create(repository=repository, source="main")

    response = signed_in(owner).post(f"{API}/bare/builds/", {"source": "main"}, format="json")

    assert response.status_code == 400
    assert "no git URL yet" in response.json()["source_url"][0]


def test_one_off_options_without_a_git_url_are_refused(repo, owner):
    services.rule_create(repository=repo, source="main")

    response = signed_in(owner).post(
        f"{API}/web/builds/", {"source": "main", "no_cache": True}, format="json"
    )

    assert response.status_code == 400
    assert "only for one-off builds" in response.json()["non_field_errors"][0]


def test_unknown_fields_are_named_in_the_error(repo, owner):
    response = signed_in(owner).post(f"{API}/web/builds/", one_off(branch="x"), format="json")
    assert response.status_code == 400
    assert "Unknown fields: branch." in response.json()["non_field_errors"][0]


# --- Who may trigger, cancel and see ---------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "code"), [("anonymous", 401), ("other", 403), ("owner", 201), ("staff", 201)]
)
def test_only_those_who_may_push_trigger_builds(repo, clients, actor, code):
    response = clients[actor].post(f"{API}/web/builds/", one_off(), format="json")

    assert response.status_code == code
    if code == 403:
        assert response.json() == {
            "detail": "Only those who may push to this repository can do this."
        }
    assert Build.objects.count() == (1 if code == 201 else 0)


@pytest.mark.parametrize(("actor", "sees"), [("anonymous", 0), ("other", 0), ("staff", 1)])
def test_a_private_repository_builds_are_404_for_those_who_may_not_see_it(
    private, clients, actor, sees
):
    build = queued(private)
    BuildLogLine.objects.create(build=build, seq=1, text="secret line")
    base = f"{API}/secret/builds/"
    paths = [base, f"{base}{build.pk}/", f"{base}{build.pk}/logs/", f"{API}/secret/build-rules/"]

    for path in paths:
        response = clients[actor].get(path)
        assert response.status_code == (200 if sees else 404), path
    for path in (base, f"{base}{build.pk}/cancel/"):
        response = clients[actor].post(path, one_off(), format="json")
        assert response.status_code in ((200, 201) if sees else (404,)), path


def test_a_read_only_token_cannot_trigger_but_a_read_write_one_can(repo, owner):
    _, read_only = make_token(owner, AccessToken.Scope.READ)
    _, read_write = make_token(owner, AccessToken.Scope.READ_WRITE)

    refused = as_token(read_only).post(f"{API}/web/builds/", one_off(), format="json")
    accepted = as_token(read_write).post(f"{API}/web/builds/", one_off(), format="json")

    assert refused.status_code == 403
    assert refused.json() == {"detail": "This access token is Read-only; it cannot write."}
    assert accepted.status_code == 201
    assert as_token(read_only).get(f"{API}/web/builds/").status_code == 200


# --- History, detail, logs -------------------------------------------------------------------


def test_history_lists_newest_first_with_status_and_duration(repo, clients):
    first, second = queued(repo, "main"), queued(repo, "dev")
    started = timezone.now() - timezone.timedelta(seconds=90)
    Build.objects.filter(pk=first.pk).update(
        status="success",
        digest="sha256:" + "a" * 64,
        commit_sha="c0ffee",
        started_at=started,
        finished_at=started + timezone.timedelta(seconds=42),
        step=3,
        steps=3,
    )

    response = clients["anonymous"].get(f"{API}/web/builds/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [b["id"] for b in body["results"]] == [second.pk, first.pk]
    done = body["results"][1]
    assert done["status"] == "success"
    assert done["duration_seconds"] == 42.0
    assert (done["step"], done["steps"], done["commit_sha"]) == (3, 3, "c0ffee")
    assert body["results"][0]["duration_seconds"] is None
    assert set(done) >= {
        "id", "status", "source_type", "source_ref", "commit_sha", "tags", "digest", "trigger",
        "created_at", "started_at", "finished_at", "duration_seconds", "error", "step", "steps",
    }  # fmt: skip


@pytest.mark.parametrize("rows", [1, 6])
def test_history_queries_are_constant(repo, owner, django_assert_num_queries, rows):
    for i in range(rows):
        queued(repo, f"b{i}", user=owner)
    client = signed_in(owner)
    with django_assert_num_queries(4):  # token's user, repository, count, page
        response = client.get(f"{API}/web/builds/")
    assert response.json()["count"] == rows


def test_build_detail_shows_the_recipe_without_a_password_in_the_url(repo, clients):
    build = queued(repo, build_args={"A": "1"}, dockerfile="build/Dockerfile")
    # A row from before passwords were moved out of URLs: still never shown.
    Build.objects.filter(pk=build.pk).update(source_url="https://bot:hunter2@git.example.test/w")

    response = clients["other"].get(f"{API}/web/builds/{build.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["source_url"] == "https://bot:****@git.example.test/w"
    # Build-arg values only for those who may push.
    assert (body["dockerfile"], body["build_args"], body["no_cache"]) == (
        "build/Dockerfile",
        {"A": None},
        False,
    )
    owner_view = clients["owner"].get(f"{API}/web/builds/{build.pk}/").json()
    assert owner_view["build_args"] == {"A": "1"}


def test_a_build_of_another_repository_is_404(repo, owner, clients):
    other_build = queued(make_repo(owner, "api"))
    response = clients["owner"].get(f"{API}/web/builds/{other_build.pk}/")
    assert response.status_code == 404
    assert response.json() == {"detail": f"No build {other_build.pk} in alice/web."}


@pytest.fixture
def logged(repo):
    build = queued(repo)
    BuildLogLine.objects.bulk_create(
        BuildLogLine(build=build, seq=seq, text=f"line {seq}") for seq in range(1, 6)
    )
    Build.objects.filter(pk=build.pk).update(last_seq=5, status="building")
    return build


def test_logs_after_a_seq_give_only_the_later_lines(logged, clients):
    response = clients["anonymous"].get(f"{API}/web/builds/{logged.pk}/logs/", {"after": 2})

    assert response.status_code == 200
    assert response.json() == {
        "lines": [{"seq": n, "text": f"line {n}"} for n in (3, 4, 5)],
        "last_seq": 5,
        "status": "building",
        "more": False,
        "final": False,
    }


def test_logs_past_the_end_answer_no_lines_and_the_same_seq(logged, clients):
    body = clients["anonymous"].get(f"{API}/web/builds/{logged.pk}/logs/?after=9").json()
    assert (body["lines"], body["last_seq"]) == ([], 9)


def test_logs_are_final_once_the_build_ended_and_every_line_was_read(logged, clients):
    Build.objects.filter(pk=logged.pk).update(status="failed", error="RUN failed")
    url = f"{API}/web/builds/{logged.pk}/logs/"

    partial = clients["anonymous"].get(url, {"limit": 2}).json()
    rest = clients["anonymous"].get(url, {"after": partial["last_seq"]}).json()

    assert ([line["seq"] for line in partial["lines"]], partial["more"], partial["final"]) == (
        [1, 2],
        True,
        False,
    )
    assert ([line["seq"] for line in rest["lines"]], rest["more"], rest["final"]) == (
        [3, 4, 5],
        False,
        True,
    )


def test_logs_as_text_by_format_or_accept_header(logged, clients):
    url = f"{API}/web/builds/{logged.pk}/logs/"

    by_format = clients["anonymous"].get(url, {"format": "text", "after": 3})
    by_accept = clients["anonymous"].get(url, HTTP_ACCEPT="text/plain")

    assert by_format.status_code == 200
    assert by_format["Content-Type"] == "text/plain; charset=utf-8"
    assert by_format.content.decode() == "line 4\nline 5\n"
    assert by_format["X-Last-Seq"] == "5"
    assert by_format["X-Build-Status"] == "building"
    assert by_accept.content.decode() == "".join(f"line {n}\n" for n in range(1, 6))


def test_log_errors_are_json_even_when_text_was_asked_for(logged, clients):
    response = clients["anonymous"].get(f"{API}/web/builds/{logged.pk}/logs/?after=-1&format=text")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "greater than or equal to 0" in response.json()["after"][0]


# --- Cancel ----------------------------------------------------------------------------------


def test_cancelling_a_queued_build_ends_it_at_once(repo, clients):
    build = queued(repo)

    response = clients["owner"].post(f"{API}/web/builds/{build.pk}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    build.refresh_from_db()
    assert (build.status, build.finished_at is not None) == ("cancelled", True)


def test_cancelling_a_running_build_asks_its_worker_to_stop(repo, clients):
    build = queued(repo)
    Build.objects.filter(pk=build.pk).update(status="building", started_at=timezone.now())

    response = clients["owner"].post(f"{API}/web/builds/{build.pk}/cancel/")

    assert response.status_code == 202
    assert (response.json()["status"], response.json()["cancel_requested"]) == ("building", True)


def test_cancelling_a_finished_build_is_a_conflict(repo, clients):
    build = queued(repo)
    Build.objects.filter(pk=build.pk).update(status="failed")

    response = clients["owner"].post(f"{API}/web/builds/{build.pk}/cancel/")

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Build {build.pk} has already ended (failed); there is nothing to cancel."
    }


def test_only_writers_cancel(repo, clients):
    build = queued(repo)
    assert clients["other"].post(f"{API}/web/builds/{build.pk}/cancel/").status_code == 403
    assert clients["anonymous"].post(f"{API}/web/builds/{build.pk}/cancel/").status_code == 401
    assert Build.objects.get(pk=build.pk).status == "queued"


def test_a_one_off_build_fills_sourceref_and_refuses_regex_groups(repo, clients):
    response = clients["owner"].post(
        f"{API}/web/builds/", one_off(source="release", tag="{sourceref}-x"), format="json"
    )
    assert response.status_code == 201 and response.json()["tags"] == ["release-x"]
    refused = clients["owner"].post(f"{API}/web/builds/", one_off(tag="{\\1}"), format="json")
    assert refused.status_code == 400
    assert "take what a rule's regex matched" in refused.json()["tag"][0]
