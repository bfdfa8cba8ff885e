"""Helpers the browser tests share."""

from playwright.sync_api import expect

from tests.factories import PASSWORD


def sign_in(page, user, password: str = PASSWORD) -> None:
    """Sign ``user`` in through the sign-in page, as a person would."""
    page.goto("/login/")
    page.get_by_label("Username or email").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".usermenu .username")).to_have_text(user.username)
