"""The Builds tab, a build's page, its raw log, and the forms that trigger, cancel and configure."""

import pytest
from django.utils import timezone

from builds.logs import LogWriter
from builds.models import Build, BuildRule, BuildSettings
from builds.services import build_settings_for, rule_create
from hub.services import repository_create
from tests.factories import UserFactory
from tests.hub.conftest import make_repo

GIT = "https://git.example/alice/web.git"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


@pytest.fixture
def staff(db):
    return UserFactory(username="harbourmaster", is_staff=True)


@pytest.fixture
def web(alice):
    """alice/web (public) with a git URL and one rule: branch main → latest."""
    repo = make_repo(alice, "web")
    BuildSettings.objects.create(repository=repo, source_url=GIT)
    rule_create(repository=repo, source_type="branch", source="main", docker_tag="latest")
    return repo


@pytest.fixture
def vault(alice):
    return make_repo(alice, "vault", is_private=True)


def make_build(repository, **fields) -> Build:
    fields = {"source_url": GIT, "source_ref": "main", "tags": ["latest"], **fields}
    return Build.objects.create(repository=repository, **fields)


def add_lines(build: Build, *texts: str) -> None:
    writer = LogWriter(build)
    for text in texts:
        writer.line(text)
    writer.flush()


def main(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


# --- who sees what ---


@pytest.mark.parametrize(
    ("viewer", "status"),
    [("anonymous", 404), ("bob", 404), ("alice", 200), ("staff", 200)],
)
@pytest.mark.parametrize("page", ["builds/", "builds/{id}/", "builds/{id}/log.txt"])
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
    assert '<code class="build-tag">v1</code>' in page
    assert 'manual <span class="muted">by alice</span>' in page
    assert "webhook" in page
    assert "2m 04s" in page


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


# --- build settings ---


def test_the_git_url_is_saved(client, web, alice):
    client.force_login(alice)
    url = "https://git.example/alice/other.git"
    response = client.post("/r/alice/web/builds/source/", {"source_url": url})
    assert response.status_code == 302
    assert BuildSettings.objects.get(repository=web).source_url == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://git.example/x.git", "Use an https://, http://, ssh:// or git:// URL"),
        ("ext::sh -c touch% /tmp/pwned", "A git URL cannot contain spaces"),
        ("file:///srv/git/app.git", "Local paths and file:// URLs are disabled here"),
    ],
)
def test_a_bad_git_url_is_refused_with_its_reason(client, web, alice, settings, url, message):
    settings.WHARF_BUILD_ALLOW_LOCAL_SOURCES = False
    client.force_login(alice)
    response = client.post("/r/alice/web/builds/source/", {"source_url": url})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_source_url_error"' in page and message in page
    assert BuildSettings.objects.get(repository=web).source_url == GIT


def test_a_rule_is_added(client, web, alice):
    client.force_login(alice)
    data = {
        "rule-source_type": "tag",
        "rule-source": "/^v([0-9.]+)$/",
        "rule-docker_tag": "{\\1}",
        "rule-dockerfile": "docker/Dockerfile",
        "rule-context": "/docker",
        "rule-build_args": "VERSION=1\nMODE=prod",
        "rule-active": "on",
    }
    response = client.post("/r/alice/web/builds/rules/new/", data)
    assert response.status_code == 302
    rule = BuildRule.objects.filter(repository=web).last()
    assert (rule.source_type, rule.source, rule.docker_tag) == ("tag", "/^v([0-9.]+)$/", "{\\1}")
    assert (rule.dockerfile, rule.context) == ("docker/Dockerfile", "docker")
    assert rule.build_args == {"VERSION": "1", "MODE": "prod"}
    assert (rule.cache, rule.autobuild, rule.active) == (False, False, True)
    page = main(client.get("/r/alice/web/builds/"))
    assert "<code>/^v([0-9.]+)$/</code>" in page
    assert '<code class="kv">VERSION=1</code>' in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("docker_tag", "-bad", "A Docker tag is letters, digits, _ . and -"),
        ("source", "/([/", "The source regex does not compile"),
        ("source", "-upload-pack=x", "is not a valid git branch or tag name"),
        ("context", "../outside", "The build context must stay inside the repository"),
        ("build_args", "JUST A LINE", "Write build args as KEY=value; got “JUST A LINE”."),
    ],
)
def test_a_bad_rule_shows_the_error_next_to_its_field(client, web, alice, field, value, message):
    client.force_login(alice)
    data = {
        "rule-source_type": "branch",
        "rule-source": "main",
        "rule-docker_tag": "latest",
        "rule-dockerfile": "Dockerfile",
        "rule-context": "/",
        f"rule-{field}": value,
    }
    response = client.post("/r/alice/web/builds/rules/new/", data)
    page = response.content.decode()
    assert response.status_code == 200
    error = page[page.index(f'id="id_rule-{field}_error"') :]
    assert message in error[:400]
    assert BuildRule.objects.filter(repository=web).count() == 1


def test_a_rule_is_edited_and_errors_are_shown(client, web, alice):
    rule = BuildRule.objects.get(repository=web)
    client.force_login(alice)
    url = f"/r/alice/web/builds/rules/{rule.pk}/"
    page = main(client.get(url))
    assert f'name="rule-{rule.pk}-source" value="main"' in page
    data = {
        f"rule-{rule.pk}-source_type": "branch",
        f"rule-{rule.pk}-source": "develop",
        f"rule-{rule.pk}-docker_tag": "..nope",
        f"rule-{rule.pk}-dockerfile": "Dockerfile",
        f"rule-{rule.pk}-context": "/",
    }
    page = client.post(url, data).content.decode()
    assert "A Docker tag is letters, digits" in page
    rule.refresh_from_db()
    assert rule.source == "main"
    data[f"rule-{rule.pk}-docker_tag"] = "dev-{short_sha}"
    data[f"rule-{rule.pk}-active"] = "on"
    assert client.post(url, data).status_code == 302
    rule.refresh_from_db()
    assert (rule.source, rule.docker_tag, rule.active) == ("develop", "dev-{short_sha}", True)


def test_a_rule_is_deleted_and_the_automated_flag_follows(client, web, alice):
    rule = BuildRule.objects.get(repository=web)
    web.refresh_from_db()
    assert web.is_automated
    client.force_login(alice)
    assert client.post(f"/r/alice/web/builds/rules/{rule.pk}/delete/").status_code == 302
    assert not BuildRule.objects.filter(repository=web).exists()
    web.refresh_from_db()
    assert not web.is_automated


def test_the_trigger_secret_is_regenerated(client, web, alice):
    before = BuildSettings.objects.get(repository=web).trigger_secret
    client.force_login(alice)
    response = client.post("/r/alice/web/builds/trigger-secret/")
    after = BuildSettings.objects.get(repository=web).trigger_secret
    assert response.status_code == 302
    assert after != before and len(after) >= 32
    assert after in main(client.get("/r/alice/web/builds/"))


# --- a build's page ---


def test_the_build_page_shows_status_progress_commit_tags_digest_and_error(client, web):
    build = make_build(
        web,
        status="failed",
        step=3,
        steps=7,
        commit_sha="feedfacecafe",
        error="RUN make exited with 2",
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    add_lines(build, "STEP 3/7: RUN make", "make: *** [all] Error 2")
    page = main(client.get(f"/r/alice/web/builds/{build.pk}/"))
    assert 'class="badge build-status status-failed" data-build-status' in page
    assert 'max="7" value="3"' in page and "Step 3 of 7" in page
    assert '<code data-build-commit title="feedfacecafe">feedfac</code>' in page
    assert '<code class="build-tag">latest</code>' in page
    assert "RUN make exited with 2" in page
    assert 'data-final="true"' in page and 'data-after="2"' in page
    assert f'data-ws-path="/ws/builds/{build.pk}/"' in page
    assert '<span class="log-t">make: *** [all] Error 2</span>' in page
    assert "Cancel build" not in page


def test_the_log_renders_ansi_colours_and_escapes_everything_else(client, web):
    build = make_build(web, status="building")
    add_lines(build, "<script>\x1b[31mred\x1b[0m", "\x1b[1;32m<b>ok</b>\x1b[0m \x1b[2K\x1b]0;t\x07")
    page = main(client.get(f"/r/alice/web/builds/{build.pk}/"))
    assert '<span class="log-t">&lt;script&gt;<span class="ansi-red">red</span></span>' in page
    assert '<span class="ansi-green ansi-bold">&lt;b&gt;ok&lt;/b&gt;</span> </span>' in page
    assert "<script>" not in page.replace('<script src="', "") and "\x1b" not in page


def test_the_raw_log_is_plain_text_with_every_line(client, web):
    build = make_build(web, status="building")
    add_lines(build, *[f"line {i} <x>" for i in range(1, 1001)], "\x1b[31mcolour\x1b[0m")
    response = client.get(f"/r/alice/web/builds/{build.pk}/log.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert f'filename="alice-web-build-{build.pk}.log"' in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    assert lines[:2] == ["line 1 <x>", "line 2 <x>"] and len(lines) == 1001
    assert lines[-1] == "\x1b[31mcolour\x1b[0m"
    page = main(client.get(f"/r/alice/web/builds/{build.pk}/"))
    assert f'href="/r/alice/web/builds/{build.pk}/log.txt" download>Download raw log' in page


def test_a_writer_cancels_a_queued_build(client, web, alice, bob):
    build = make_build(web)
    client.force_login(bob)
    assert "Cancel build" not in main(client.get(f"/r/alice/web/builds/{build.pk}/"))
    client.force_login(alice)
    assert "Cancel build" in main(client.get(f"/r/alice/web/builds/{build.pk}/"))
    response = client.post(f"/r/alice/web/builds/{build.pk}/cancel/", follow=True)
    build.refresh_from_db()
    assert build.status == "cancelled" and build.finished_at
    assert f"Build #{build.pk} cancelled." in response.content.decode()
    assert "Cancel build" not in main(response)


def test_cancelling_a_running_build_asks_its_worker_to_stop(client, web, alice):
    build = make_build(web, status="building", started_at=timezone.now())
    client.force_login(alice)
    response = client.post(f"/r/alice/web/builds/{build.pk}/cancel/", follow=True)
    build.refresh_from_db()
    assert build.status == "building" and build.cancel_requested
    assert "it stops within seconds" in response.content.decode()


def test_official_repositories_have_build_pages_at_their_short_name(client, staff):
    repo = repository_create(user=staff, namespace="library", name="busybox")
    build_settings_for(repository=repo)
    build = make_build(repo)
    response = client.get(f"/_/busybox/builds/{build.pk}/")
    assert response.status_code == 200
    assert f'href="/_/busybox/builds/{build.pk}/log.txt"' in response.content.decode()
    assert f'href="/_/busybox/builds/{build.pk}/"' in main(client.get("/_/busybox/builds/"))


def test_the_history_is_paged(client, web):
    for _ in range(26):
        make_build(web)
    page = main(client.get("/r/alice/web/builds/"))
    assert page.count("<tr>") == 26  # the head's row and 25 builds
    assert 'href="/r/alice/web/builds/?page=2">Older →</a>' in page
    assert main(client.get("/r/alice/web/builds/?page=2")).count("<tr>") == 2
