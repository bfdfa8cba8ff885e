"""A build's page at 1280×800 with a real Celery worker building with buildah: while it runs the
live log starts above the fold; once it has ended the "Queued build" message is gone, and what it
pushed is there — each tag linked to its tag page, its pull commands copyable — on the build page
and in the Builds history row."""

import re

import pytest
from playwright.sync_api import expect

from builds.models import Build
from tests.browser.support import sign_in
from tests.builds.conftest import hub, sources  # noqa: F401  (fixtures)
from tests.builds.support import GitHttpServer, bare_repo, log_text, make_git_repo, wait_final
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.integration]

DOCKERFILE = """\
FROM busybox
RUN echo built > /built
"""
FOLD = 800


@pytest.fixture
def git_server(sources):  # noqa: F811
    source = make_git_repo(sources / "src", {"Dockerfile": DOCKERFILE})
    bare_repo(source, sources / "served", "app.git")
    server = GitHttpServer(sources / "served", gated=True)
    yield server
    server.close()


@pytest.fixture
def builder(hub, page, git_server):  # noqa: F811
    """skipper/app, built from the gated git server by the rule main → latest, signed in."""
    user = UserFactory(username="skipper")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=hub.url)
    sign_in(page, user)
    page.goto("/repositories/new/")
    page.get_by_label("Repository name").fill("app")
    page.get_by_role("button", name="Create repository").click()
    page.goto("/r/skipper/app/builds/")
    page.get_by_label("Git URL").fill(f"{git_server.url}/app.git")
    page.get_by_role("button", name="Save git source").click()
    page.get_by_text("Add a rule").click()
    page.get_by_label("Source", exact=True).fill("main")
    page.get_by_label("Docker tag").fill("latest")
    page.get_by_role("button", name="Add rule").click()
    return user


def clipboard(page) -> str:
    return page.evaluate("() => navigator.clipboard.readText()")


def test_the_log_is_above_the_fold_while_running_and_the_result_links_its_tags(
    hub,  # noqa: F811
    page,
    shot,
    csp_watch,
    builder,
    git_server,
):
    host = hub.url.split("://", 1)[1]
    page.get_by_role("button", name="Build now").click()
    expect(page.locator("[data-build-status]")).to_have_text("Cloning", timeout=60_000)
    expect(page.locator(".log-line").first).to_be_visible()
    build = Build.objects.get()
    flash = page.locator(".flash-success")
    expect(flash).to_have_text(f"Queued build #{build.pk}.")

    # Running at 1280×800: the log's top and its first lines are in the window, under the
    # compact status card (and the flash), with nothing pushed shown yet.
    assert page.viewport_size == {"width": 1280, "height": 800}
    assert page.evaluate("() => window.scrollY") == 0
    log_box = page.locator("[data-build-log]").bounding_box()
    first_line = page.locator(".log-line").first.bounding_box()
    assert log_box["y"] + 100 < FOLD, log_box
    assert first_line["y"] + first_line["height"] < FOLD, first_line
    expect(page.locator(".build-pushed")).to_have_count(0)
    shot("running")

    git_server.open()
    build = wait_final(build)
    assert build.status == "success", log_text(build)
    badge = page.locator("[data-build-status]")
    expect(badge).to_have_text("Success")
    assert build.digest.startswith("sha256:")

    # Finished: the message is gone; the card links the tag and offers both pull commands.
    expect(flash).to_have_count(0)
    expect(page.locator(".flashes")).to_have_count(0)
    pushed = page.locator(".build-pushed")
    expect(pushed.get_by_role("link", name="latest")).to_have_attribute(
        "href", "/r/skipper/app/tags/latest/"
    )
    by_tag = f"docker pull {host}/skipper/app:latest"
    by_digest = f"docker pull {host}/skipper/app@{build.digest}"
    expect(pushed.locator(".pull-command")).to_have_text([by_tag, by_digest])
    pushed.get_by_role("button", name=f"Copy {by_digest}").click()
    assert clipboard(page) == by_digest
    expect(page.locator(".build-card").get_by_role("link", name="latest")).to_be_visible()
    assert csp_watch.problems() == []  # the live page and the card it fetched, under the policy
    shot("finished")

    page.reload()
    expect(page.locator(".flash")).to_have_count(0)
    expect(page.locator(".build-pushed .pull-command")).to_have_text([by_tag, by_digest])

    # The Builds tab's row: the same tag link and pull commands, the digest shortened on the
    # page but copied whole.
    page.goto("/r/skipper/app/builds/")
    row = page.locator(".builds-table tbody tr").first
    expect(row.locator(".build-status")).to_have_text("Success")
    expect(row.locator(".pull-command").first).to_have_text(by_tag)
    short = row.locator(".pull-command").nth(1)
    expect(short).to_have_text(f"…@{build.digest[:19]}…")
    expect(short).to_have_attribute("title", by_digest)
    row.get_by_role("button", name=f"Copy {by_digest}").click()
    assert clipboard(page) == by_digest
    row.get_by_role("button", name=f"Copy {by_tag}").click()
    assert clipboard(page) == by_tag
    shot("history")
    row.get_by_role("link", name="latest").click()
    expect(page).to_have_url(re.compile(r"/r/skipper/app/tags/latest/$"))
    expect(page.get_by_text(by_tag).first).to_be_visible()


def test_a_build_that_ended_before_its_page_opened_shows_no_queued_message(
    hub,  # noqa: F811
    page,
    builder,
    git_server,
):
    def finish_first(route):
        # Build now answers with a redirect to the build page; the worker builds and pushes
        # before the browser is given that answer.
        answer = route.fetch(max_redirects=0)
        git_server.open()
        wait_final(Build.objects.get())
        route.fulfill(response=answer)

    page.route(re.compile(r"/r/skipper/app/builds/run/$"), finish_first)
    # The click does not wait for the page: the route holds it while the build runs.
    page.get_by_role("button", name="Build now").click(no_wait_after=True)
    expect(page.locator("[data-build-status]")).to_have_text("Success", timeout=120_000)
    expect(page.locator("[data-live-state]")).to_have_text("Finished")
    expect(page.locator(".flash")).to_have_count(0)
    expect(page.locator(".build-pushed .build-tag")).to_have_text(["latest"])


def test_the_finished_build_fits_a_phone_in_both_themes(hub, page, shot, builder, git_server):  # noqa: F811
    git_server.open()
    page.get_by_role("button", name="Build now").click()
    expect(page.locator("[data-build-status]")).to_have_text("Success", timeout=120_000)
    build_url = page.url
    fits = "() => document.documentElement.scrollWidth <= window.innerWidth"
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 800})
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            page.goto(build_url)
            expect(page.locator(".build-pushed .pull-command")).to_have_count(2)
            assert page.evaluate(fits), f"the build page scrolls sideways at {width} px"
            shot(f"build-{width}-{scheme}")
            page.goto("/r/skipper/app/builds/")
            row = page.locator(".builds-table tbody tr").first
            expect(row.get_by_role("link", name="latest")).to_be_visible()
            expect(row.get_by_role("button", name=re.compile("^Copy docker pull"))).to_have_count(2)
            assert page.evaluate(fits), f"the Builds tab scrolls sideways at {width} px"
            shot(f"history-{width}-{scheme}")
