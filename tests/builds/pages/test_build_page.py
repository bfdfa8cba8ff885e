"""A build's own page: status, progress, the log, the raw log, cancel."""

from django.utils import timezone

from builds.services import build_settings_for
from hub.services import repository_create
from tests.builds.pages.conftest import add_lines, main, make_build

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
