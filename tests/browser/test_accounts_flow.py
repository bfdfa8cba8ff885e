"""A person signs up, signs out, signs in and creates an access token — in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import AccessToken, User
from tests.browser.support import sign_in
from tests.factories import make_token

pytestmark = pytest.mark.browser

PASSWORD = "harbour-lights-42"


def test_sign_up_log_out_log_in_and_create_a_token(page, shot):
    page.goto("/")
    shot("home")
    page.get_by_role("banner").get_by_role("link", name="Sign up").click()

    # A mistake first: the message appears next to the field and nothing is created.
    page.get_by_label("Username").fill("Captain")
    page.get_by_label("Email").fill("captain@example.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator("#id_username_error")).to_have_text(
        "Use lowercase letters only (a–z) and digits; no capitals."
    )
    shot("signup-error")
    assert not User.objects.exists()

    page.get_by_label("Username").fill("captain")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator(".flash-success")).to_contain_text("Welcome to Wharf, captain!")
    expect(page.get_by_role("heading", name="captain")).to_be_visible()
    shot("profile")

    page.locator(".usermenu summary").click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page.locator(".flash-info")).to_have_text("You are signed out.")
    top_bar = page.get_by_role("banner")
    expect(top_bar.get_by_role("link", name="Sign in")).to_be_visible()

    top_bar.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username or email").fill("captain")
    page.get_by_label("Password").fill("not-my-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".form-errors")).to_have_text("Incorrect username or password.")
    shot("login-error")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".usermenu .username")).to_have_text("captain")

    page.locator(".usermenu summary").click()
    page.get_by_role("menuitem", name="Access tokens").click()
    page.get_by_label("Description").fill("laptop docker login")
    page.get_by_label("Read & Write").check()
    page.get_by_role("button", name="Generate token").click()
    raw = page.locator("#new-token").inner_text()
    assert raw.startswith("whf_pat_")
    expect(page.get_by_role("cell", name="laptop docker login", exact=True)).to_be_visible()
    shot("token-created")

    token = AccessToken.objects.get(user__username="captain")
    assert token.scope == AccessToken.Scope.READ_WRITE
    assert token.token_hash == AccessToken.hash(raw)

    page.reload()
    expect(page.locator("#new-token")).to_have_count(0)  # shown once only


def test_token_revoked_in_the_browser_stops_working(page, shot, user):

    token, raw = make_token(user, description="old ci")
    sign_in(page, user)
    page.goto("/settings/tokens/")
    questions = []

    def accept(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="Revoke old ci").click()
    expect(page.locator(".flash-success")).to_contain_text("revoked")
    assert questions == ["Revoke “old ci”? Anything still using it stops working at once."]
    shot("revoked")

    response = page.request.get("/api/v2/user/", headers={"Authorization": f"Bearer {raw}"})
    assert response.status == 401


def test_cancelling_the_revoke_question_keeps_the_token(page, user):
    token, _ = make_token(user, description="old ci")
    sign_in(page, user)
    page.goto("/settings/tokens/")
    page.once("dialog", lambda dialog: dialog.dismiss())

    page.get_by_role("button", name="Revoke old ci").click()

    expect(page.get_by_role("button", name="Revoke old ci")).to_be_visible()
    expect(page.locator(".flash-success")).to_have_count(0)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_token_table_fits_a_phone_without_the_token_and_created_columns(browser, asgi_server, user):
    make_token(user, description="laptop docker login")
    context = browser.new_context(base_url=asgi_server.url, viewport={"width": 375, "height": 740})
    phone = context.new_page()
    sign_in(phone, user)
    phone.goto("/settings/tokens/")

    headers = phone.locator(".table th")
    expect(headers.filter(has_text="Description")).to_be_visible()
    expect(headers.filter(has_text="Last used")).to_be_visible()
    expect(headers.filter(has_text="Token")).to_be_hidden()
    expect(headers.filter(has_text="Created")).to_be_hidden()
    overflow = phone.evaluate(
        "(() => { const w = document.querySelector('.table-wrap');"
        " return w.scrollWidth - w.clientWidth; })()"
    )
    context.close()
    assert overflow <= 0, f"the token table scrolls sideways by {overflow}px at 375px wide"


def test_password_rules_read_as_help_text(page, user):
    sign_in(page, user)
    page.goto("/settings/password/")
    # One line, as sign-up says it (tests/browser/test_look.py compares the two pages).
    rules = page.locator("#id_new_password1_helptext")
    expect(rules).to_have_text(re.compile(r"^At least 9 characters; not only digits"))
    expect(rules.locator("li")).to_have_count(0)
    style = "(el) => [getComputedStyle(el).color, getComputedStyle(el).fontSize]"
    assert rules.evaluate(style) == ["rgb(91, 103, 118)", "14px"]
    expect(page.get_by_label("New password", exact=True)).to_have_accessible_description(
        re.compile("At least 9 characters")
    )


@pytest.mark.parametrize("path", ["/", "/signup/", "/login/"])
def test_pages_fit_a_phone_screen(browser, asgi_server, path, request):
    from tests.browser.conftest import ARTIFACTS

    context = browser.new_context(base_url=asgi_server.url, viewport={"width": 375, "height": 740})
    phone = context.new_page()
    phone.goto(path)
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = "phone" + path.replace("/", "-").rstrip("-")
    phone.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px wide"
