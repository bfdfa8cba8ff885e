"""The README editor's Preview tab, in a real browser: the server renders and sanitises the text
as the Overview tab would, the text stays as typed, and nothing is saved until Save."""

import pytest
from playwright.sync_api import expect

from hub.models import Repository
from hub.services import repository_create
from tests.browser.support import sign_in

pytestmark = pytest.mark.browser

README = """# Hello harbour

Pull it with `docker pull`, then **run** it.

| port | what |
|------|------|
| 80   | web  |

<script>document.title = "pwned"</script>
[a trap](javascript:alert(1))
"""


@pytest.fixture
def repository(user):
    return repository_create(user=user, namespace=user.username, name="web")


def _open_settings(page, user):
    sign_in(page, user)
    page.goto(f"/r/{user.username}/web/settings/")


def test_preview_shows_the_readme_rendered_and_sanitised_and_saves_nothing(
    page, shot, user, repository, csp_watch
):
    _open_settings(page, user)
    editor = page.get_by_label("Full description (README)")
    editor.fill(README)
    write_tab = page.get_by_role("tab", name="Write")
    preview_tab = page.get_by_role("tab", name="Preview")
    expect(write_tab).to_have_attribute("aria-selected", "true")

    preview_tab.click()
    panel = page.get_by_role("tabpanel", name="Preview")
    expect(panel.get_by_role("heading", name="Hello harbour", level=1)).to_be_visible()
    expect(panel.locator("strong")).to_have_text("run")
    expect(panel.get_by_role("cell", name="web", exact=True)).to_be_visible()
    expect(preview_tab).to_have_attribute("aria-selected", "true")
    expect(editor).to_be_hidden()
    assert panel.locator("script").count() == 0
    assert panel.locator("a", has_text="a trap").get_attribute("href") is None
    assert page.title() != "pwned"
    assert page.url.endswith(f"/r/{user.username}/web/settings/")  # no page load
    shot("preview")
    assert Repository.objects.get(pk=repository.pk).full_description == ""

    write_tab.click()
    expect(editor).to_be_visible()
    expect(editor).to_be_focused()
    assert editor.input_value() == README.replace("\n", "\n")  # as typed
    expect(panel).to_be_hidden()
    shot("write")

    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".flash-success")).to_have_text("Settings saved.")
    page.goto(f"/r/{user.username}/web/")
    expect(page.get_by_role("heading", name="Hello harbour", level=1)).to_be_visible()
    assert csp_watch.problems() == []


def test_preview_of_an_empty_readme_says_there_is_nothing_yet(page, user, repository):
    _open_settings(page, user)
    page.get_by_role("tab", name="Preview").click()
    expect(page.get_by_role("tabpanel", name="Preview")).to_have_text("Nothing to preview yet.")


def test_preview_follows_the_latest_text(page, user, repository):
    _open_settings(page, user)
    editor = page.get_by_label("Full description (README)")
    panel = page.get_by_role("tabpanel", name="Preview")
    for title in ("First", "Second"):
        page.get_by_role("tab", name="Write").click()
        editor.fill(f"## {title}")
        page.get_by_role("tab", name="Preview").click()
        expect(panel.get_by_role("heading", level=2)).to_have_text(title)


def test_without_script_preview_posts_the_form_and_shows_it_under_the_text(
    browser, asgi_server, user, repository
):
    context = browser.new_context(
        base_url=asgi_server.url, viewport={"width": 1280, "height": 800}, java_script_enabled=False
    )
    page = context.new_page()
    try:
        _open_settings(page, user)
        page.get_by_label("Full description (README)").fill("# Plain\n\nNo script here.")
        page.get_by_role("tab", name="Preview").click()
        panel = page.locator("#readme-preview")
        expect(panel.get_by_role("heading", name="Plain")).to_be_visible()
        expect(page.get_by_label("Full description (README)")).to_have_value(
            "# Plain\n\nNo script here."
        )
        assert Repository.objects.get(pk=repository.pk).full_description == ""
    finally:
        context.close()


@pytest.mark.parametrize(
    ("width", "scheme"), [(1280, "light"), (1280, "dark"), (375, "light"), (375, "dark")]
)
def test_the_preview_tab_fits_the_screen_in_both_themes(
    browser, asgi_server, user, repository, width, scheme
):
    from tests.browser.conftest import ARTIFACTS

    context = browser.new_context(
        base_url=asgi_server.url, viewport={"width": width, "height": 800}, color_scheme=scheme
    )
    page = context.new_page()
    try:
        _open_settings(page, user)
        page.get_by_label("Full description (README)").fill(README)
        page.get_by_role("tab", name="Preview").click()
        panel = page.get_by_role("tabpanel", name="Preview")
        expect(panel.get_by_role("heading", name="Hello harbour")).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(ARTIFACTS / f"readme-preview-{width}-{scheme}.png"), full_page=True
        )
        assert overflow <= 0, f"the settings page scrolls sideways by {overflow}px at {width}px"
        # Both tabs stay on the label's row or just under it, never off the card.
        box = page.get_by_role("tab", name="Preview").bounding_box()
        assert box["x"] + box["width"] <= width
    finally:
        context.close()
