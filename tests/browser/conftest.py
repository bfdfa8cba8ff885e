"""Browser tests: Debian's chromium driven by Playwright against the real ASGI app.

Playwright never downloads a browser here: it launches /usr/bin/chromium, which the test setup
(scripts/setup.sh test) installs from Debian's packages.
"""

import os
import re
import uuid
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("WHARF_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

# Playwright's sync API runs an event loop in this thread; the ORM calls tests make between
# browser steps are still plain synchronous code, so Django's async guard must stand aside.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    # Per module, not per session: Playwright's sync API keeps an event loop running in this
    # thread while it is open, and async_to_sync (the channel layer) refuses to run beside one,
    # so tests after the browser modules must not find it still open.
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",  # we run as root in CI
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                # No network beyond loopback here: keep chromium from dialling home.
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, asgi_server):
    context = browser.new_context(base_url=asgi_server.url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def shot(request, page):
    """shot("step") saves a full-page screenshot under test-artifacts/screenshots/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)

    def take(step: str, target=None) -> Path:
        path = ARTIFACTS / f"{test_name}--{step}.png"
        (target or page).screenshot(path=str(path), full_page=True)
        return path

    return take


# Records what the Content-Security-Policy blocks: the securitypolicyviolation events a document
# fires. An init script, so it listens before any of the page's own scripts or styles load.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push({
    directive: event.effectiveDirective, blocked: event.blockedURI,
    source: event.sourceFile, line: event.lineNumber, sample: event.sample,
  });
});
"""


class CspWatch:
    """What a page's Content-Security-Policy refused, and the page's uncaught script errors.

    ``problems()`` reads the current document's events (they go when the page does, so ask
    before navigating on), plus every console error about the policy and every uncaught error
    since the last call.
    """

    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        self.errors: list[str] = []
        page.add_init_script(RECORD_CSP_VIOLATIONS)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))

    def _on_console(self, message):
        if message.type == "error" and "Content Security Policy" in message.text:
            self.console.append(f"{self.page.url}: {message.text}")

    def problems(self) -> list:
        events = self.page.evaluate("() => window.__cspViolations || []")
        found = [*events, *self.console, *self.errors]
        self.console.clear()
        self.errors.clear()
        return found


@pytest.fixture
def csp_watch(page):
    return CspWatch(page)


@pytest.fixture(autouse=True)
def channel_layer(settings):
    """Redis groups of this test's own: builds of other test runs share ids, not groups."""
    from django.conf import settings as django_settings

    layer = {**django_settings.CHANNEL_LAYERS["default"]}
    layer["CONFIG"] = {**layer["CONFIG"], "prefix": f"wharf-test:{uuid.uuid4().hex[:12]}"}
    settings.CHANNEL_LAYERS = {"default": layer}
