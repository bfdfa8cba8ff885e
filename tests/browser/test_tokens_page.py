"""The access tokens page at 1280 px: an expiry chosen when making a token, shown in the list,
and dates that never break across lines ("Dec 1, / 2026")."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import AccessToken
from accounts.services import access_token_create
from tests.browser.support import sign_in

pytestmark = pytest.mark.browser

# How many lines each date in the table takes: one box per line for an inline element.
DATE_LINES = """() => [...document.querySelectorAll('.table time')]
  .filter((el) => el.offsetParent !== null)
  .map((el) => [el.textContent, el.getClientRects().length])"""


def test_a_token_with_an_expiry_shows_it_in_the_list(page, shot, user):
    sign_in(page, user)
    page.goto("/settings/tokens/")
    page.get_by_label("Description").fill("ci on build-01")
    page.get_by_label("Expiration").select_option(label="90 days")
    page.get_by_role("button", name="Generate token").click()
    expect(page.locator("#new-token")).to_be_visible()

    token = AccessToken.objects.get(user=user)
    assert token.expires_at - token.created_at == timedelta(days=90)
    row = page.get_by_role("row").filter(has_text="ci on build-01")
    expires = row.locator("td").nth(4)
    expect(page.get_by_role("columnheader").nth(4)).to_have_text("Expires")
    expect(expires).to_have_text(token.expires_at.strftime("%b %-d, %Y"))
    shot("created")


def test_the_tokens_table_keeps_each_date_on_one_line_at_1280px(page, shot, user):
    # Long descriptions squeeze the table, which is where "Dec 1, / 2026" used to break.
    access_token_create(
        user=user, description="a laptop docker login with a long description", scope="read"
    )
    access_token_create(
        user=user,
        description="continuous integration on build-01 and build-02",
        scope="read_write_delete",
        expires_in_days=365,
    )
    gone, _ = access_token_create(
        user=user, description="an old one", scope="read", expires_in_days=30
    )
    AccessToken.objects.filter(pk=gone.pk).update(expires_at=timezone.now() - timedelta(days=1))
    sign_in(page, user)
    page.goto("/settings/tokens/")
    expect(page.get_by_role("row").filter(has_text="an old one")).to_contain_text("Expired")

    shot("dates")
    lines = page.evaluate(DATE_LINES)
    assert len(lines) >= 5  # created ×3, expires ×2
    assert [text for text, count in lines if count != 1] == [], lines
    overflow = page.evaluate(
        "(() => { const w = document.querySelector('.table-wrap');"
        " return w.scrollWidth - w.clientWidth; })()"
    )
    assert overflow <= 0, f"the tokens table scrolls sideways by {overflow}px at 1280px"
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_tokens_table_shows_the_expiry_on_a_phone_without_scrolling_sideways(
    browser, asgi_server, user, scheme
):
    from tests.browser.conftest import ARTIFACTS

    access_token_create(user=user, description="ci", scope="read", expires_in_days=30)
    access_token_create(user=user, description="laptop docker login", scope="read_write")
    context = browser.new_context(
        base_url=asgi_server.url, viewport={"width": 375, "height": 740}, color_scheme=scheme
    )
    phone = context.new_page()
    try:
        sign_in(phone, user)
        phone.goto("/settings/tokens/")
        # No room for an Expires column: the date is under the token's name.
        expect(phone.get_by_role("columnheader", name="Expires")).to_be_hidden()
        row = phone.get_by_role("row").filter(has_text="ci")
        expect(row.locator(".token-expiry-narrow")).to_be_visible()
        expect(row.locator(".token-expiry-narrow")).to_have_text(
            re.compile(r"^Expires \w{3} \d+, \d{4}$")
        )
        lines = phone.evaluate(DATE_LINES)
        overflow = phone.evaluate(
            "(() => { const w = document.querySelector('.table-wrap');"
            " return w.scrollWidth - w.clientWidth; })()"
        )
        page_overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=str(ARTIFACTS / f"tokens-375-{scheme}.png"), full_page=True)
    finally:
        context.close()
    assert [text for text, count in lines if count != 1] == [], lines
    assert overflow <= 0, f"the token table scrolls sideways by {overflow}px at 375px wide"
    assert page_overflow <= 0, f"the page scrolls sideways by {page_overflow}px at 375px wide"
