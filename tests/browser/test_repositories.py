"""People find, star and copy repositories; owners edit the README and delete tags — in chromium."""

import re

import pytest
from playwright.sync_api import expect

from hub.models import Repository, Tag
from tests.browser.conftest import ARTIFACTS
from tests.browser.support import sign_in
from tests.factories import UserFactory
from tests.hub.conftest import push_image, push_multi_arch

pytestmark = pytest.mark.browser


@pytest.fixture
def hub_data(transactional_db):
    """alice/app (automated, two tags) and alice/app-legacy; bob to browse them."""
    alice = UserFactory(username="alice")
    bob = UserFactory(username="bob")
    push_image("alice/app:v1")
    push_multi_arch("alice/app:multi")
    push_image("alice/app-legacy:old")
    Repository.objects.filter(name="app").update(
        description="The app, built from git", is_automated=True, pull_count=1234
    )
    Repository.objects.filter(name="app-legacy").update(description="The old app")
    return alice, bob


def test_search_with_filters_open_star_and_copy_the_pull_command(page, shot, hub_data):
    _, bob = hub_data
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, bob)
    expect(page.get_by_role("heading", name="Recently updated")).to_be_visible()
    shot("home-signed-in")
    page.get_by_role("banner").get_by_role("link", name="Explore").click()
    expect(page.get_by_role("heading", name="Most pulled")).to_be_visible()
    shot("explore")

    page.get_by_role("banner").get_by_role("searchbox").fill("app")
    page.get_by_role("banner").get_by_role("searchbox").press("Enter")
    results = page.locator(".repo-list .repo-name")
    expect(results).to_have_text(["alice/app", "alice/app-legacy"])
    shot("search")

    page.get_by_label("Automated").check()  # applies at once (autosubmit.js)
    expect(page).to_have_url(re.compile(r"/search/\?q=app&automated=1&ordering=best$"))
    expect(results).to_have_text(["alice/app"])
    page.get_by_label("Sort by").select_option("pulls")
    expect(page.get_by_label("Sort by")).to_have_value("pulls")
    expect(results).to_have_text(["alice/app"])
    shot("search-filtered")

    results.first.click()
    expect(page.get_by_role("heading", name="alice/app")).to_be_visible()
    expect(page.locator(".repo-head .badge-automated")).to_have_text("Automated")
    page.get_by_role("button", name="Star").click()
    expect(page.get_by_role("button", name="Unstar")).to_be_visible()
    expect(page.locator(".star-count")).to_have_text("1")
    assert Repository.objects.get(name="app").star_count == 1

    copy = page.get_by_role("button", name="Copy the pull command")
    copy.click()
    expect(copy).to_have_text("Copied")
    command = page.locator("#pull-command").inner_text()
    assert command.startswith("docker pull ") and command.endswith("/alice/app")
    assert page.evaluate("navigator.clipboard.readText()") == command
    shot("starred-and-copied")

    page.get_by_role("link", name="Tags", exact=True).click()
    expect(page.locator(".tags-table .tag-name")).to_have_text(["multi", "v1"])
    expect(page.get_by_role("button", name="Delete tag v1")).to_have_count(0)  # not bob's
    page.get_by_role("link", name="v1", exact=True).click()
    expect(page.get_by_role("heading", name="linux/amd64")).to_be_visible()
    shot("tag-page")


def test_copy_without_clipboard_access_selects_the_command(page, hub_data):
    page.goto("/r/alice/app/")
    # No clipboard permission granted and the API stubbed to refuse: the fallback selects text.
    page.evaluate(
        "() => { navigator.clipboard.writeText = () => Promise.reject(new Error('denied')); }"
    )
    copy = page.get_by_role("button", name="Copy the pull command")
    copy.click()
    expect(copy).to_have_text("Press Ctrl-C")
    selected = page.evaluate("window.getSelection().toString()")
    assert selected == page.locator("#pull-command").inner_text()


def test_owner_edits_the_readme_sees_it_rendered_and_deletes_a_tag(page, shot, hub_data):
    alice, _ = hub_data
    sign_in(page, alice)
    page.goto("/r/alice/app/")
    expect(page.get_by_text("No overview yet")).to_be_visible()
    page.get_by_role("link", name="Write the overview").click()

    page.get_by_label("Full description (README)").fill(
        "## Running\n\nStart it with `docker run`.\n\n<script>document.title='pwned'</script>"
    )
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".flash-success")).to_have_text("Settings saved.")
    page.get_by_role("link", name="Overview").click()
    readme = page.locator("article.markdown")
    expect(readme.get_by_role("heading", name="Running")).to_be_visible()
    expect(readme.locator("code")).to_have_text("docker run")
    assert page.title() != "pwned"
    shot("readme-rendered")

    page.get_by_role("link", name="Tags", exact=True).click()
    questions = []

    def accept(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="Delete tag v1").click()
    expect(page.locator(".flash-success")).to_have_text("Deleted tag v1 of alice/app.")
    expect(page.locator(".tags-table .tag-name")).to_have_text(["multi"])
    assert questions == ["Delete tag v1 of alice/app? Pulls of alice/app:v1 stop working."]
    assert list(Tag.objects.filter(repository__name="app").values_list("name", flat=True)) == [
        "multi"
    ]
    shot("tag-deleted")


def test_cancelling_the_tag_delete_keeps_the_tag(page, hub_data):
    alice, _ = hub_data
    sign_in(page, alice)
    page.goto("/r/alice/app/tags/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Delete tag v1").click()
    expect(page.get_by_role("button", name="Delete tag v1")).to_be_visible()
    assert Tag.objects.filter(repository__name="app", name="v1").exists()


PHONE_PAGES = [
    "/explore/",
    "/search/?q=app",
    "/r/alice/app/",
    "/r/alice/app/tags/",
    "/r/alice/app/tags/v1/",
    "/r/alice/app/tags/multi/",
    "/r/alice/app/settings/",
    "/repositories/new/",
    "/u/alice/",
    "/",
]


def test_repository_pages_fit_a_phone_screen(browser, asgi_server, hub_data):
    alice, _ = hub_data
    context = browser.new_context(base_url=asgi_server.url, viewport={"width": 375, "height": 740})
    phone = context.new_page()
    sign_in(phone, alice)
    overflows = {}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for path in PHONE_PAGES:
        phone.goto(path)
        overflows[path] = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        name = "phone-repos" + path.replace("/", "-").replace("?", "-").rstrip("-")
        phone.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()
    assert {path: px for path, px in overflows.items() if px > 0} == {}
