"""The Tags tab and the tag page in chromium, on a desktop (1280 px) and a phone (375 px):
filter, sort and pages; one platform at a time with an OS/ARCH selector; copy buttons that put
the exact digest or pull command on the clipboard; a Delete button that is never clipped."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from hub.models import ManifestChild, Repository, Tag
from hub.services import tag_create
from tests.browser.support import sign_in
from tests.factories import UserFactory
from tests.hub.conftest import push_image, push_multi_arch
from tests.hub.tagseed import seed_tags

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": (1280, 800), "phone": (375, 740)}
LONG_TAG = "release-2024.05.01-build.20240501123456-linux-amd64-with-debug-symbols"


@pytest.fixture
def tags_data(transactional_db):
    """alice/app: v1 (one platform), multi (two), a long-named tag, and 40 older tags."""
    alice = UserFactory(username="alice")
    push_image("alice/app:v1")
    push_multi_arch("alice/app:multi")
    repo = Repository.objects.select_related("namespace").get(name="app")
    tag_create(repository=repo, name=LONG_TAG, source="v1")
    seed_tags(repo, 40, prefix="old", start=timezone.now() - timedelta(days=30))
    return alice, repo


@pytest.fixture(params=WIDTHS, ids=list(WIDTHS))
def viewer(request, browser, asgi_server):
    width, height = WIDTHS[request.param]
    context = browser.new_context(
        base_url=asgi_server.url, viewport={"width": width, "height": height}
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def registry_host() -> str:
    return settings.WHARF_URL.split("://", 1)[-1]


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_the_platform_selector_shows_one_platform_at_a_time(viewer, shot, tags_data):
    _, repo = tags_data
    multi = Tag.objects.select_related("manifest").get(repository=repo, name="multi")
    children = {
        c.architecture: c.child
        for c in ManifestChild.objects.filter(parent=multi.manifest).select_related("child")
    }
    viewer.goto("/r/alice/app/tags/multi/")
    card = viewer.locator(".platform-card")
    expect(card).to_have_count(1)
    expect(card.get_by_role("heading", level=2)).to_have_text("linux/amd64")
    expect(card.locator("code.digest")).to_have_text(children["amd64"].digest)
    expect(card.locator(".config")).to_contain_text('["amd64"]')
    picker = viewer.get_by_label("OS/ARCH")
    expect(picker).to_have_value("linux/amd64")
    assert overflow(viewer) <= 0
    shot("amd64", target=viewer)

    picker.select_option("linux/arm64/v8")  # applies at once (autosubmit.js)
    expect(viewer).to_have_url(f"{viewer.url.split('?')[0]}?platform=linux%2Farm64%2Fv8#platform")
    expect(card.get_by_role("heading", level=2)).to_have_text("linux/arm64/v8")
    expect(card.locator("code.digest")).to_have_text(children["arm64"].digest)
    expect(card.locator(".config")).to_contain_text('["arm64"]')
    expect(card).not_to_contain_text(children["amd64"].digest)
    expect(viewer.get_by_label("OS/ARCH")).to_have_value("linux/arm64/v8")
    assert overflow(viewer) <= 0
    shot("arm64", target=viewer)


def test_copy_buttons_put_the_exact_digest_and_pull_command_on_the_clipboard(
    viewer, shot, tags_data
):
    _, repo = tags_data
    multi = Tag.objects.select_related("manifest").get(repository=repo, name="multi")
    arm = ManifestChild.objects.get(parent=multi.manifest, architecture="arm64").child
    image = f"{registry_host()}/alice/app"
    viewer.goto("/r/alice/app/tags/multi/?platform=linux/arm64/v8")
    expected = {
        "Copy the digest of multi": multi.manifest.digest,
        "Copy the pull command for multi": f"docker pull {image}:multi",
        "Copy the pull command for multi by digest": f"docker pull {image}@{multi.manifest.digest}",
        "Copy the digest of linux/arm64/v8": arm.digest,
        "Copy the pull command for linux/arm64/v8 by digest": f"docker pull {image}@{arm.digest}",
    }
    for name, text in expected.items():
        button = viewer.get_by_role("button", name=name, exact=True)
        expect(button).to_have_attribute("data-copy", text)
        button.click()
        expect(button).to_have_text("Copied")
        assert viewer.evaluate("navigator.clipboard.readText()") == text
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewer.viewport_size["width"]
    shot("copied", target=viewer)


def test_the_delete_button_is_never_clipped(viewer, shot, tags_data):
    alice, _ = tags_data
    sign_in(viewer, alice)
    viewer.goto("/r/alice/app/tags/")
    buttons = viewer.get_by_role("button", name="Delete tag ")
    expect(buttons).to_have_count(25)
    expect(viewer.get_by_role("button", name=f"Delete tag {LONG_TAG}")).to_be_visible()
    shot("signed-in", target=viewer)
    wrap = viewer.locator(".table-wrap")
    # Nothing hidden behind a sideways scroll of the table, nor of the page.
    assert wrap.evaluate("el => el.scrollWidth - el.clientWidth") <= 0
    assert overflow(viewer) <= 0
    edge = wrap.bounding_box()
    width = viewer.viewport_size["width"]
    for i in range(buttons.count()):
        box = buttons.nth(i).bounding_box()
        assert box["width"] > 30 and box["height"] > 20
        assert box["x"] >= edge["x"] and box["x"] + box["width"] <= edge["x"] + edge["width"]
        assert box["x"] + box["width"] <= width, f"Delete button {i} ends at {box}"

    viewer.once("dialog", lambda dialog: dialog.accept())
    viewer.get_by_role("button", name=f"Delete tag {LONG_TAG}").click()
    expect(viewer.locator(".flash-success")).to_have_text(f"Deleted tag {LONG_TAG} of alice/app.")


def test_the_tags_tab_filters_sorts_and_pages(viewer, shot, tags_data):
    viewer.goto("/r/alice/app/tags/")
    names = viewer.locator(".tags-table .tag-name")
    expect(names).to_have_count(25)
    expect(names.first).to_have_text(LONG_TAG)  # newest first
    expect(viewer.get_by_text("1–25 of 43 tags")).to_be_visible()
    multi_row = viewer.locator("tr", has=viewer.get_by_role("link", name="multi", exact=True))
    expect(multi_row.locator(".platform-count")).to_have_text("2 platforms")
    assert overflow(viewer) <= 0
    shot("newest", target=viewer)

    viewer.get_by_role("link", name="Next →").click()
    expect(viewer.get_by_text("26–43 of 43 tags")).to_be_visible()
    expect(names).to_have_count(18)

    viewer.get_by_label("Sort by").select_option("name")  # back to page 1
    expect(viewer).to_have_url(f"{viewer.url.split('?')[0]}?name=&ordering=name")
    expect(names.first).to_have_text("multi")
    expect(names.nth(1)).to_have_text("old00000")

    viewer.get_by_label("Filter by tag name").fill("old0001")
    viewer.get_by_label("Filter by tag name").press("Enter")
    expect(names).to_have_text([f"old{i:05d}" for i in range(10, 20)])  # still by name
    expect(viewer.get_by_text("1–10 of 10 tags matching “old0001”")).to_be_visible()
    assert overflow(viewer) <= 0
    shot("filtered", target=viewer)
