"""What a finished build made: each pushed tag linked to its tag page, and the two pull commands
(by tag, by digest) with the hub's public host, on the build page and in its Builds history row;
nothing of the kind for a build that did not succeed."""

import pytest
from django.utils import timezone
from pytest_django.asserts import assertInHTML

from hub.services import repository_create
from tests.builds.pages.conftest import main, make_build

DIGEST = "sha256:" + "ab12" * 16
HOST = "hub.example.test"


@pytest.fixture(autouse=True)
def public_url(settings):
    """Pull commands name the hub as its users reach it, not as this request did."""
    settings.WHARF_URL = f"https://{HOST}"


def succeeded(repository, **fields):
    fields = {"status": "success", "digest": DIGEST, "tags": ["latest", "1.0"], **fields}
    now = timezone.now()
    return make_build(repository, started_at=now, finished_at=now, **fields)


def copy_button(command: str) -> str:
    return (
        f'<button class="copy btn btn-small btn-outline" type="button" data-copy="{command}"'
        f' aria-label="Copy {command}">Copy</button>'
    )


def tag_link(repository: str, tag: str) -> str:
    return f'<a class="build-tag" href="/r/{repository}/tags/{tag}/"><code>{tag}</code></a>'


def pushed_card(page: str) -> str:
    start = page.index('<section class="card build-pushed"')
    return page[start : page.index("</section>", start)]


def history_row(page: str, build) -> str:
    link = page.index(f'<a href="/r/alice/web/builds/{build.pk}/">#{build.pk}</a>')
    start = page.rindex("<tr>", 0, link)
    return page[start : page.index("</tr>", start) + len("</tr>")]


# --- the build page ---


def test_a_successful_build_links_each_pushed_tag_and_shows_both_pull_commands(client, web):
    build = succeeded(web)
    card = pushed_card(main(client.get(f"/r/alice/web/builds/{build.pk}/")))
    for tag in ("latest", "1.0"):
        assertInHTML(tag_link("alice/web", tag), card)
        command = f"docker pull {HOST}/alice/web:{tag}"
        assertInHTML(f'<code class="pull-command">{command}</code>', card)
        assertInHTML(copy_button(command), card)
    by_digest = f"docker pull {HOST}/alice/web@{DIGEST}"
    assertInHTML(f'<code class="pull-command" title="{by_digest}">{by_digest}</code>', card)
    assertInHTML(copy_button(by_digest), card)


def test_the_status_card_links_the_tags_of_a_successful_build(client, web):
    build = succeeded(web, tags=["latest"])
    page = main(client.get(f"/r/alice/web/builds/{build.pk}/"))
    card = page[page.index('<dl class="build-facts">') : page.index("</dl>")]
    assertInHTML(tag_link("alice/web", "latest"), card)


def test_an_official_image_is_pulled_by_its_short_name(client, staff):
    busybox = repository_create(user=staff, namespace="library", name="busybox")
    build = succeeded(busybox, tags=["1.36"])
    card = pushed_card(main(client.get(f"/r/library/busybox/builds/{build.pk}/")))
    assertInHTML(f'<code class="pull-command">docker pull {HOST}/busybox:1.36</code>', card)
    assertInHTML(copy_button(f"docker pull {HOST}/busybox@{DIGEST}"), card)
    assert "/library/" not in card.replace('href="/r/library/', "")


@pytest.mark.parametrize("status", ["queued", "building", "failed", "cancelled", "error"])
def test_a_build_that_did_not_succeed_links_no_tag_and_shows_no_pull_command(client, web, status):
    build = make_build(web, status=status, tags=["latest"], error="RUN make exited with 2")
    page = main(client.get(f"/r/alice/web/builds/{build.pk}/"))
    assert "build-pushed" not in page and 'data-copy="docker pull' not in page
    assert f"docker pull {HOST}/alice/web:" not in page and "@sha256" not in page
    assert 'href="/r/alice/web/tags/latest/"' not in page
    assert '<code class="build-tag">latest</code>' in page  # what it was to push, unlinked


def test_the_summary_fragment_is_the_card_alone_and_never_cached(client, web):
    build = succeeded(web)
    response = client.get(f"/r/alice/web/builds/{build.pk}/?fragment=summary")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert "<main" not in html and "<html" not in html
    assert 'data-build-status aria-live="polite">Success</span>' in html
    assertInHTML(copy_button(f"docker pull {HOST}/alice/web@{DIGEST}"), pushed_card(html))


@pytest.mark.parametrize(("viewer", "status"), [("anonymous", 404), ("bob", 404), ("alice", 200)])
def test_the_summary_fragment_of_a_private_repository_is_for_who_sees_it(
    client, vault, bob, viewer, status
):
    build = succeeded(vault)
    if viewer != "anonymous":
        client.force_login({"bob": bob, "alice": vault.namespace.owner}[viewer])
    response = client.get(f"/r/alice/vault/builds/{build.pk}/?fragment=summary")
    assert response.status_code == status
    assert (DIGEST.encode() in response.content) == (status == 200)


# --- the Builds history row ---


@pytest.mark.parametrize("url", ["/r/alice/web/builds/", "/r/alice/web/builds/?fragment=history"])
def test_the_history_row_of_a_successful_build_links_its_tags_and_both_pull_commands(
    client, web, url
):
    build = succeeded(web)
    row = history_row(client.get(url).content.decode(), build)
    for tag in ("latest", "1.0"):
        assertInHTML(tag_link("alice/web", tag), row)
        command = f"docker pull {HOST}/alice/web:{tag}"
        assertInHTML(f'<code class="pull-command">{command}</code>', row)
        assertInHTML(copy_button(command), row)
    # The digest is shortened in the row; its title and its Copy button hold the whole command.
    by_digest = f"docker pull {HOST}/alice/web@{DIGEST}"
    assertInHTML(
        f'<code class="pull-command" title="{by_digest}">…@sha256:{"ab12" * 3}…</code>', row
    )
    assertInHTML(copy_button(by_digest), row)


def test_history_rows_of_builds_that_did_not_succeed_have_no_links_or_pull_commands(client, web):
    failed = make_build(web, status="failed", error="RUN make exited with 2")
    running = make_build(web, status="building")
    ok = succeeded(web, tags=["stable"])
    page = client.get("/r/alice/web/builds/").content.decode()
    for build in (failed, running):
        row = history_row(page, build)
        assert "docker pull" not in row and "data-copy" not in row and "/tags/" not in row
        assert '<code class="build-tag">latest</code>' in row
    assert "docker pull" in history_row(page, ok)
