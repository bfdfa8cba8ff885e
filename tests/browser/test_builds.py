"""A build's page in chromium: lines appear live, the badge changes, the log follows the end."""

import re
import threading

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from builds.logs import LogWriter, publish_status
from builds.models import Build, BuildRule
from builds.services import build_settings_for, rule_create
from hub.services import repository_create
from tests.browser.support import sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def alice(transactional_db):
    return UserFactory(username="alice")


@pytest.fixture
def running_build(alice):
    repo = repository_create(user=alice, namespace="alice", name="app")
    build_settings_for(repository=repo)
    return Build.objects.create(
        repository=repo,
        source_url="https://git.example/alice/app.git",
        source_ref="main",
        tags=["latest"],
        status=Build.Status.BUILDING,
        started_at=timezone.now(),
        commit_sha="0123456789abcdef0123",
    )


def in_thread(work, *args):
    """Run ``work`` as a worker would: in another thread, with its own database connection."""

    def run():
        try:
            work(*args)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)


def write_lines(build_id: int, texts: list[str]) -> None:
    writer = LogWriter(Build.objects.get(pk=build_id))
    for text in texts:
        writer.line(text)
    writer.flush()


def finish(build_id: int) -> None:
    Build.objects.filter(pk=build_id).update(
        status="success", digest="sha256:" + "c0" * 32, finished_at=timezone.now(), step=3
    )
    publish_status(Build.objects.get(pk=build_id))


def test_log_lines_appear_live_and_the_badge_turns_success(page, shot, alice, running_build):
    in_thread(
        write_lines, running_build.pk, ["Cloning https://git.example/alice/app.git", "checked out"]
    )
    sign_in(page, alice)
    page.goto(f"/r/alice/app/builds/{running_build.pk}/")
    badge = page.locator("[data-build-status]")
    expect(badge).to_have_text("Building")
    expect(page.locator("[data-live-state]")).to_have_text("Live")
    expect(page.locator(".log-line")).to_have_count(2)  # rendered by the server

    in_thread(
        write_lines,
        running_build.pk,
        [
            "STEP 1/3: FROM busybox",
            "STEP 2/3: RUN echo hi",
            "\x1b[32mhi\x1b[0m <script>document.title='pwned'</script>",
        ],
    )
    lines = page.locator(".log-line .log-t")
    expect(lines).to_have_count(5)
    expect(lines.nth(2)).to_have_text("STEP 1/3: FROM busybox")
    expect(lines.nth(4).locator(".ansi-green")).to_have_text("hi")
    expect(lines.nth(4)).to_have_text("hi <script>document.title='pwned'</script>")
    expect(page.locator("[data-build-step]")).to_have_text("Step 2 of 3")
    assert page.title() != "pwned"
    assert [
        int(s)
        for s in page.locator(".log-line").evaluate_all("rows => rows.map(r => r.dataset.seq)")
    ] == [1, 2, 3, 4, 5]
    expect(page.get_by_role("button", name="Cancel build")).to_be_visible()
    shot("running")

    in_thread(write_lines, running_build.pk, ["STEP 3/3: COPY . /app", "pushed"])
    in_thread(finish, running_build.pk)
    expect(badge).to_have_text("Success")
    expect(badge).to_have_class(re.compile(r"\bstatus-success\b"))
    expect(page.locator("[data-live-state]")).to_have_text("Finished")
    expect(page.locator("[data-build-digest]")).to_have_text("sha256:" + "c0" * 32)
    expect(lines).to_have_count(7)
    expect(page.get_by_role("button", name="Cancel build")).to_be_hidden()
    assert page.locator("[data-build-progress]").evaluate("bar => bar.value === bar.max")
    shot("finished")


def test_the_log_follows_the_end_until_the_reader_scrolls_up(page, shot, running_build):
    page.set_viewport_size({"width": 1280, "height": 700})
    page.goto(f"/r/alice/app/builds/{running_build.pk}/")
    expect(page.locator("[data-live-state]")).to_have_text("Live")
    log = page.locator("[data-build-log]")
    at_bottom = "el => el.scrollTop + el.clientHeight >= el.scrollHeight - 8"

    in_thread(write_lines, running_build.pk, [f"line {i}" for i in range(1, 301)])
    expect(page.locator(".log-line")).to_have_count(300)
    page.wait_for_function(
        "() => { const el = document.querySelector('[data-build-log]');"
        " return el.scrollTop + el.clientHeight >= el.scrollHeight - 8; }"
    )

    log.evaluate("el => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); }")
    follow = page.get_by_role("button", name="Follow the log ↓")
    expect(follow).to_be_visible()
    in_thread(write_lines, running_build.pk, [f"more {i}" for i in range(1, 51)])
    expect(page.locator(".log-line")).to_have_count(350)
    assert log.evaluate("el => el.scrollTop") == 0  # the reader keeps their place
    shot("scrolled-up")

    follow.click()
    expect(follow).to_be_hidden()
    assert log.evaluate(at_bottom)
    in_thread(write_lines, running_build.pk, ["the end"])
    expect(page.locator(".log-line").last).to_have_text(re.compile("the end"))
    assert log.evaluate(at_bottom)


# Keeps every WebSocket the page opens, so the test can drop one as a network blip would.
RECORD_SOCKETS = """
(() => {
  const Native = window.WebSocket;
  window.sockets = [];
  window.WebSocket = function (...args) {
    const socket = new Native(...args);
    window.sockets.push(socket);
    return socket;
  };
  window.WebSocket.prototype = Native.prototype;
})();
"""


def test_after_a_drop_the_page_reconnects_and_misses_nothing(page, running_build):
    in_thread(write_lines, running_build.pk, ["one", "two"])
    page.add_init_script(RECORD_SOCKETS)
    page.goto(f"/r/alice/app/builds/{running_build.pk}/")
    expect(page.locator("[data-live-state]")).to_have_text("Live")
    page.evaluate("() => window.sockets[0].close()")
    expect(page.locator("[data-live-state]")).to_have_text("Reconnecting…")
    in_thread(write_lines, running_build.pk, [f"while away {i}" for i in range(3, 23)])
    expect(page.locator(".log-line")).to_have_count(22)
    expect(page.locator("[data-live-state]")).to_have_text("Live")
    seqs = page.locator(".log-line").evaluate_all("rows => rows.map(r => Number(r.dataset.seq))")
    assert seqs == list(range(1, 23))
    urls = page.evaluate("() => window.sockets.map(s => s.url)")
    assert len(urls) == 2 and urls[1].endswith(f"/ws/builds/{running_build.pk}/?after=2")


def test_build_now_from_the_builds_tab_opens_the_new_build(
    page, shot, alice, running_build, monkeypatch
):
    queued = []
    # No worker here: record the build the page queues instead of sending it to the broker.
    monkeypatch.setattr("builds.services._enqueue", queued.append)
    rule_create(repository=running_build.repository, source="main", docker_tag="latest")
    build_settings = build_settings_for(repository=running_build.repository)
    build_settings.source_url = "https://git.example/alice/app.git"
    build_settings.save()
    sign_in(page, alice)
    page.goto("/r/alice/app/builds/")
    expect(page.locator(".builds-table tbody tr")).to_have_count(1)
    shot("builds-tab")
    page.get_by_role("button", name="Build now").click()
    expect(page.locator(".flash-success")).to_have_text(re.compile(r"Queued build #\d+\."))
    expect(page.locator("[data-build-status]")).to_have_text("Queued")
    assert Build.objects.count() == 2
    assert [build.source_ref for build in queued] == ["main"]
    assert BuildRule.objects.get().source == "main"


def queue_build(repository_id: int) -> None:
    build = Build.objects.create(
        repository_id=repository_id, source_url="https://git.example/a.git", source_ref="dev"
    )
    publish_status(build)


def test_the_builds_tab_shows_new_builds_and_their_states_live(page, shot, running_build):
    page.goto("/r/alice/app/builds/")
    expect(page.locator("[data-live-history]")).to_have_attribute("data-live", "true")
    rows = page.locator(".builds-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.nth(0).locator(".build-status")).to_have_text("Building")

    in_thread(queue_build, running_build.repository_id)
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator(".build-status")).to_have_text("Queued")  # newest first
    expect(rows.nth(0)).to_contain_text("dev")

    in_thread(finish, running_build.pk)
    expect(rows.nth(1).locator(".build-status")).to_have_text("Success")
    expect(rows.nth(1).locator("td").nth(6)).not_to_have_text("—")  # its duration now
    shot("history-live")
