"""Every page in light and dark, at 1280 and 375 px: axe-core finds no contrast (or other serious)
failure, and a screenshot of each is left as an artifact. Then the theme choice and the layout
flaws issue 14 listed, each in chromium.

Screenshots go to $WHARF_TEST_ARTIFACTS/look/ (default test-artifacts/look/ in the checkout),
one folder per theme and width; the test prints where.
"""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hub.models import Repository
from hub.services import repository_create, star_add
from tests.browser.conftest import ARTIFACTS, CspWatch
from tests.browser.look_site import AXE, anonymous_pages, seed, signed_in_pages
from tests.browser.support import sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

LOOK = Path(os.environ.get("WHARF_TEST_ARTIFACTS") or ARTIFACTS.parent) / "look"
THEMES = ("light", "dark")
WIDTHS = ((1280, 800), (375, 740))
# Swagger UI draws /api/docs/ with its own stylesheet, light only.
LIGHT_ONLY = {"api-docs"}

# axe-core's rules at WCAG 2.1 A and AA, or only ``rules``; a violation it rates serious or
# critical fails the test (color-contrast is one). Returns each with up to five of its elements.
AXE_RUN = """async (rules) => {
  const result = await axe.run(document, {
    runOnly: rules
      ? {type: "rule", values: rules}
      : {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    resultTypes: ["violations"],
  });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      id: v.id,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " — " + n.failureSummary),
    }));
}"""
# What the theme changes: in dark only these are checked again (the rest read the same DOM).
COLOUR_RULES = ["color-contrast", "link-in-text-block"]

BODY_LUMINANCE = """() => {
  const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}"""


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def axe_problems(page, label: str, rules=None) -> list[str]:
    found = page.evaluate(AXE_RUN, rules)
    sep = "\n      "
    return [f"{label}: {v['id']} ({v['help']}){sep}" + sep.join(v["nodes"]) for v in found]


def look_at(watch: CspWatch, *, name: str, path: str, width: int) -> list[str]:
    """Open ``path`` once, then in each theme screenshot it and say what is wrong with it."""
    page = watch.page
    response = page.goto(path)
    want = 404 if name == "not-found" else 200
    if response.status != want:
        return [f"{name} {path}: HTTP {response.status}, not {want}"]
    if name == "api-docs":
        page.locator(".swagger-ui .info").wait_for()
    problems = []
    for theme in THEMES:
        label = f"{name} {path} ({theme}, {width} px)"
        page.emulate_media(color_scheme=theme)
        page.screenshot(path=str(LOOK / f"{theme}-{width}" / f"{name}.png"), full_page=True)
        if name in LIGHT_ONLY and theme == "dark":
            continue
        luminance = page.evaluate(BODY_LUMINANCE)
        if (luminance > 0.5) != (theme == "light"):
            problems.append(f"{label}: the page is not {theme} (body luminance {luminance:.2f})")
        problems += axe_problems(page, label, COLOUR_RULES if theme == "dark" else None)
    problems += [f"{name} {path}: refused by the CSP or failed: {p}" for p in watch.problems()]
    return problems


def test_every_page_reads_well_in_both_themes_at_both_widths(browser, asgi_server, capsys):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `bash scripts/setup.sh test` (it installs axe-core)")
    site = seed()
    visitors = {}
    for signed_in in (False, True):
        context = browser.new_context(base_url=asgi_server.url)
        context.add_init_script(path=str(AXE))  # in every page, before the page's own scripts
        visitors[signed_in] = CspWatch(context.new_page())
    sign_in(visitors[True].page, site.alice)
    for theme in THEMES:
        for width, _ in WIDTHS:
            (LOOK / f"{theme}-{width}").mkdir(parents=True, exist_ok=True)
    problems = []
    try:
        for width, height in WIDTHS:
            for signed_in, listed in ((False, anonymous_pages), (True, signed_in_pages)):
                watch = visitors[signed_in]
                watch.page.set_viewport_size({"width": width, "height": height})
                for name, path in listed(site):
                    problems += look_at(watch, name=name, path=path, width=width)
            # The user menu, open, with its Theme choice.
            page = watch.page
            page.goto("/")
            page.locator(".usermenu summary").click()
            expect(page.locator(".usermenu .menu")).to_be_visible()
            for theme in THEMES:
                page.emulate_media(color_scheme=theme)
                page.screenshot(path=str(LOOK / f"{theme}-{width}" / "user-menu.png"))
                label = f"user menu ({theme}, {width} px)"
                problems += axe_problems(page, label, COLOUR_RULES if theme == "dark" else None)
    finally:
        for watch in visitors.values():
            watch.page.context.close()
    with capsys.disabled():
        print(f"\nlook: screenshots in {LOOK}/{{light,dark}}-{{1280,375}}/")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


# Which theme <html> had when <body> first appeared: theme.js must have applied a remembered
# choice by then, before anything was drawn.
RECORD_THEME_AT_FIRST_BODY = """
new MutationObserver((records, observer) => {
  if (!document.body) return;
  window.__themeAtFirstBody = document.documentElement.dataset.theme || "auto";
  observer.disconnect();
}).observe(document, {childList: true, subtree: true});
"""


def theme_state(page) -> dict:
    state = page.evaluate(
        """() => ({
          attribute: document.documentElement.dataset.theme || null,
          stored: localStorage.getItem("wharf-theme"),
        })"""
    )
    return {**state, "dark": page.evaluate(BODY_LUMINANCE) < 0.5}


def test_the_theme_choice_is_remembered_in_this_browser_and_applied_before_drawing(
    browser, asgi_server, user
):
    context = browser.new_context(base_url=asgi_server.url, color_scheme="light")
    other_browser = browser.new_context(base_url=asgi_server.url, color_scheme="light")
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.add_init_script(RECORD_THEME_AT_FIRST_BODY)
        sign_in(page, user)
        assert theme_state(page) == {"attribute": None, "stored": None, "dark": False}
        page.locator(".usermenu summary").click()
        menu = page.locator(".usermenu .menu")
        expect(menu.get_by_role("menuitemradio", name="Auto")).to_have_attribute(
            "aria-checked", "true"
        )
        menu.get_by_role("menuitemradio", name="Dark").click()
        assert theme_state(page) == {"attribute": "dark", "stored": "dark", "dark": True}
        expect(menu.get_by_role("menuitemradio", name="Dark")).to_have_attribute(
            "aria-checked", "true"
        )

        # Remembered on every page of this browser, signed out too, and there from the start.
        page.goto("/explore/")
        assert page.evaluate("window.__themeAtFirstBody") == "dark"
        assert theme_state(page)["dark"]
        page.locator(".usermenu summary").click()
        menu.get_by_role("menuitem", name="Sign out").click()
        expect(page.get_by_role("link", name="Sign in")).to_be_visible()
        assert theme_state(page)["dark"]

        # Another browser keeps following its own preference.
        other = other_browser.new_page()
        other.goto("/")
        assert theme_state(other) == {"attribute": None, "stored": None, "dark": False}

        # Light wins over a dark preference; Auto follows the preference again.
        sign_in(page, user)
        page.emulate_media(color_scheme="dark")
        page.locator(".usermenu summary").click()
        menu.get_by_role("menuitemradio", name="Light").click()
        assert theme_state(page) == {"attribute": "light", "stored": "light", "dark": False}
        menu.get_by_role("menuitemradio", name="Auto").click()
        assert theme_state(page) == {"attribute": None, "stored": None, "dark": True}
        page.emulate_media(color_scheme="light")
        assert not theme_state(page)["dark"]
    finally:
        context.close()
        other_browser.close()


def test_signed_in_home_keeps_its_three_buttons_on_one_line_at_1280(page, user):
    sign_in(page, user)
    page.goto("/")
    buttons = page.locator(".welcome .cta .btn")
    expect(buttons.last).to_have_text("Create an access token")
    boxes = [buttons.nth(i).bounding_box() for i in range(buttons.count())]
    assert len(boxes) == 3
    assert {round(box["y"]) for box in boxes} == {round(boxes[0]["y"])}, boxes
    assert {round(box["height"]) for box in boxes} == {round(boxes[0]["height"])}, boxes


def column_edges(page, list_selector: str) -> list[set]:
    """For each of STARS, PULLS, UPDATED: the set of (left, right) its cells have, row by row."""
    return page.evaluate(
        """(selector) => [1, 2, 3].map((n) => [
          ...new Set([...document.querySelectorAll(
            `${selector} .repo-row .repo-stats > div:nth-child(${n})`
          )].map((cell) => {
            const box = cell.getBoundingClientRect();
            return `${Math.round(box.left)}-${Math.round(box.right)}`;
          }))
        ])""",
        list_selector,
    )


def test_stars_pulls_and_updated_line_up_down_profile_and_search_lists(page, user):
    for name, pulls, stars_by, age in (
        ("web", 1_234_567, 0, timedelta(days=400)),
        ("a-much-longer-repository-name", 7, 1, timedelta(minutes=5)),
        ("db", 0, 2, timedelta(hours=3, minutes=20)),
    ):
        repo = repository_create(
            user=user, namespace=user.username, name=name, description=f"The {name} image"
        )
        for _ in range(stars_by):
            star_add(user=UserFactory(), repository=repo)
        Repository.objects.filter(pk=repo.pk).update(
            pull_count=pulls, updated_at=timezone.now() - age
        )
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 800})
        for path in (f"/u/{user.username}/", f"/search/?q={user.username}"):
            page.goto(path)
            expect(page.locator(".repo-list .repo-row")).to_have_count(3)
            edges = column_edges(page, ".repo-list")
            assert all(len(column) == 1 for column in edges), (width, path, edges)


def test_change_password_says_the_rules_as_sign_up_does(page, user):
    page.goto("/signup/")
    sign_up_rules = page.locator("#id_password_helptext").inner_text()
    sign_in(page, user)
    page.goto("/settings/password/")
    new_password = page.get_by_label("New password", exact=True)
    help_id = new_password.get_attribute("aria-describedby")
    assert page.locator(f"#{help_id}").inner_text() == sign_up_rules
    expect(page.locator(".field .help ul, .field .help li")).to_have_count(0)
