"""Browser tests: Debian's chromium driven by Playwright against the real ASGI app.

Playwright never downloads a browser here: it launches /usr/bin/chromium, which the test setup
(scripts/setup.sh test) installs from Debian's packages.
"""

import os
import re
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
