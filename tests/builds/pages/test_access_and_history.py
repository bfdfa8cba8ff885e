"""Build pages: who sees what, the history, Build now."""

import pytest
from django.utils import timezone

from builds.models import Build, BuildRule, BuildSettings
from builds.services import rule_create
from tests.builds.pages.conftest import GIT, add_lines, main, make_build
from tests.hub.conftest import make_repo

# --- who sees what ---


@pytest.mark.parametrize(
    ("viewer", "status"),
    [("anonymous", 404), ("bob", 404), ("alice", 200), ("staff", 200)],
)
@pytest.mark.parametrize(
    "page", ["builds/", "builds/?fragment=history", "builds/{id}/", "builds/{id}/log.txt"]
)
def test_a_private_repositorys_builds_are_seen_only_by_who_sees_it(
    client, vault, bob, staff, viewer, status, page
):
    build = make_build(vault)
    add_lines(build, "secret output")
    users = {"bob": bob, "alice": vault.namespace.owner, "staff": staff}
    if viewer in users:
        client.force_login(users[viewer])
    response = client.get(f"/r/alice/vault/{page.format(id=build.pk)}")
    assert response.status_code == status
    assert (b"secret output" in response.content) == (status == 200 and "{id}" in page)
    if status == 200 and "fragment" in page:
        assert f'href="/r/alice/vault/builds/{build.pk}/"'.encode() in response.content


@pytest.mark.parametrize("page", ["builds/", "builds/{id}/", "builds/{id}/log.txt"])
def test_anyone_sees_a_public_repositorys_builds(client, web, page):
    build = make_build(web)
    add_lines(build, "public output")
    response = client.get(f"/r/alice/web/{page.format(id=build.pk)}")
    assert response.status_code == 200


def test_a_build_of_another_repository_is_not_found_here(client, web, alice):
    other = make_build(make_repo(alice, "other"))
    assert client.get(f"/r/alice/web/builds/{other.pk}/").status_code == 404


def test_only_writers_see_build_now_settings_and_the_trigger_secret(client, web, bob):
    secret = BuildSettings.objects.get(repository=web).trigger_secret
    client.force_login(bob)
    page = main(client.get("/r/alice/web/builds/"))
    assert "Build history" in page
    assert "Build now" not in page and "Build settings" not in page and secret not in page

    client.force_login(web.namespace.owner)
    page = main(client.get("/r/alice/web/builds/"))
    assert "Build now" in page and "Build settings" in page and secret in page
    uuid = BuildSettings.objects.get(repository=web).trigger_uuid
    assert f"http://testserver/api/build-triggers/{uuid}/" in page


@pytest.mark.parametrize(
    ("suffix", "data"),
    [
        ("builds/run/", {"run-rule": ""}),
        ("builds/source/", {"source_url": "https://evil.example/x.git"}),
        ("builds/trigger-secret/", {}),
        ("builds/rules/new/", {"rule-source": "main"}),
        ("builds/rules/{rule}/", {}),
        ("builds/rules/{rule}/delete/", {}),
        ("builds/{build}/cancel/", {}),
    ],
)
def test_who_may_not_push_cannot_trigger_cancel_or_configure(client, web, bob, suffix, data):
    build = make_build(web)
    rule = BuildRule.objects.get(repository=web)
    settings_before = BuildSettings.objects.get(repository=web)
    url = "/r/alice/web/" + suffix.format(rule=rule.pk, build=build.pk)
    for who in (None, bob):
        if who:
            client.force_login(who)
        assert client.post(url, data).status_code == 404
    assert Build.objects.count() == 1 and Build.objects.get().status == "queued"
    assert BuildRule.objects.filter(pk=rule.pk).exists()
    settings_after = BuildSettings.objects.get(repository=web)
    assert settings_after.trigger_secret == settings_before.trigger_secret
    assert settings_after.source_url == GIT


# --- history ---


def test_the_history_lists_status_ref_commit_tags_trigger_and_duration(client, web, alice):
    started = timezone.now() - timezone.timedelta(minutes=3, seconds=5)
    make_build(
        web,
        status="success",
        digest="sha256:" + "1" * 64,
        commit_sha="0123456789abcdef",
        tags=["latest", "v1"],
        triggered_by=alice,
        started_at=started,
        finished_at=started + timezone.timedelta(minutes=2, seconds=4),
    )
    make_build(web, source_ref="dev", trigger="webhook")
    page = main(client.get("/r/alice/web/builds/"))
    rows = page[page.index("<tbody>") :]
    assert rows.index("dev") < rows.index("0123456")  # newest first
    assert '<span class="badge build-status status-success">Success</span>' in page
    assert '<span class="badge build-status status-queued">Queued</span>' in page
    assert '<code title="0123456789abcdef">0123456</code>' in page
    assert '<a class="build-tag" href="/r/alice/web/tags/v1/"><code>v1</code></a>' in page
    assert 'manual <span class="muted">by alice</span>' in page
    assert "webhook" in page
    assert "2m 04s" in page


def test_the_history_alone_is_served_for_the_live_tab(client, web, alice):
    build = make_build(web, status="building")
    tab = client.get("/r/alice/web/builds/?page=1").content.decode()
    response = client.get("/r/alice/web/builds/?fragment=history")
    fragment = response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert "<html" not in fragment and "Build now" not in fragment
    assert f'href="/r/alice/web/builds/{build.pk}/"' in fragment
    assert '<span class="badge build-status status-building">Building</span>' in fragment
    # The tab says where its socket and its fragment are.
    assert 'data-ws-path="/ws/r/alice/web/builds/"' in tab
    assert 'data-fragment="/r/alice/web/builds/?fragment=history"' in tab


def test_the_history_costs_the_same_queries_for_many_builds(
    client, web, alice, django_assert_max_num_queries
):
    make_build(web, triggered_by=alice)
    client.force_login(alice)
    with django_assert_max_num_queries(30) as one:
        client.get("/r/alice/web/builds/")
    for _ in range(10):
        make_build(web, triggered_by=alice)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get("/r/alice/web/builds/")


# --- build now ---


def test_build_now_with_a_rule_queues_a_build_and_opens_its_page(
    client, web, alice, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    rule = BuildRule.objects.get(repository=web)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/r/alice/web/builds/run/", {"run-rule": rule.pk})
    build = Build.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/r/alice/web/builds/{build.pk}/"
    assert len(callbacks) == 1  # the task is enqueued once the transaction commits
    assert (build.source_url, build.source_type, build.source_ref) == (GIT, "branch", "main")
    assert (build.tags, build.trigger, build.triggered_by, build.rule) == (
        ["latest"],
        "manual",
        alice,
        rule,
    )
    page = client.get(response["Location"]).content.decode()
    assert f"Queued build #{build.pk}." in page
    assert '<span class="badge build-status status-queued" data-build-status' in page


def test_build_now_with_a_pattern_rule_builds_the_named_tag(client, web, alice):
    rule = rule_create(
        repository=web, source_type="tag", source="/^v([0-9.]+)$/", docker_tag="{\\1}"
    )
    client.force_login(alice)
    response = client.post("/r/alice/web/builds/run/", {"run-rule": rule.pk, "run-ref": "v1.2"})
    assert response.status_code == 302
    build = Build.objects.get()
    assert (build.source_type, build.source_ref, build.tags) == ("tag", "v1.2", ["1.2"])


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("", "This rule builds every tag matching /^v([0-9.]+)$/: name one."),
        ("release", "“release” does not match /^v([0-9.]+)$/."),
    ],
)
def test_build_now_with_a_pattern_rule_needs_a_matching_ref(client, web, alice, ref, message):
    rule = rule_create(
        repository=web, source_type="tag", source="/^v([0-9.]+)$/", docker_tag="{\\1}"
    )
    client.force_login(alice)
    response = client.post("/r/alice/web/builds/run/", {"run-rule": rule.pk, "run-ref": ref})
    assert response.status_code == 200
    assert f'<p class="error" id="id_run-ref_error">{message}</p>' in response.content.decode()
    assert not Build.objects.exists()


def test_build_now_with_a_typed_branch_runs_the_rules_that_match(client, web, alice):
    client.force_login(alice)
    data = {"run-rule": "", "run-source_type": "branch", "run-ref": "main"}
    assert client.post("/r/alice/web/builds/run/", data).status_code == 302
    assert Build.objects.get().source_ref == "main"


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("feature", "No active rule builds the branch “feature”."),
        ("", "Name the branch or tag to build."),
        ("bad..ref", "“bad..ref” is not a valid git branch or tag name"),
    ],
)
def test_build_now_says_why_nothing_was_built(client, web, alice, ref, message):
    client.force_login(alice)
    data = {"run-rule": "", "run-source_type": "branch", "run-ref": ref}
    response = client.post("/r/alice/web/builds/run/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Build.objects.exists()


def test_build_now_without_a_git_url_asks_for_one(client, alice):
    repo = make_repo(alice, "bare")
    rule = rule_create(repository=repo, source="main")
    client.force_login(alice)
    response = client.post("/r/alice/bare/builds/run/", {"run-rule": rule.pk})
    page = main(response)
    assert '<div class="form-errors" role="alert"><p>Set the repository' in page
    assert "Set the repository&#x27;s git URL first." in page
    assert not Build.objects.exists()
