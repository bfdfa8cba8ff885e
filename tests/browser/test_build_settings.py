"""The Builds tab's credentials and secrets in a browser: set once, never shown again."""

import pytest
from playwright.sync_api import expect

from builds.models import BuildSecret, BuildSettings
from hub.services import repository_create
from tests.browser.support import sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

TOKEN = "glpat-browser-" + "k3" * 10
SECRET = "npm-secret-" + "v9" * 10


@pytest.fixture
def owner(transactional_db):
    user = UserFactory(username="keeper")
    repository_create(user=user, namespace="keeper", name="app")
    return user


def test_git_credentials_and_secrets_are_set_and_never_shown_again(page, shot, owner):
    sign_in(page, owner)
    page.goto("/r/keeper/app/builds/")

    page.get_by_label("Git URL").fill("https://git.example.test/keeper/app.git")
    page.get_by_label("User name (private https source)").fill("bot")
    page.get_by_label("Access token or password").fill(TOKEN)
    page.get_by_role("button", name="Save git source").click()
    expect(page.locator(".flash-success")).to_contain_text("Git source saved.")
    expect(page.locator(".credentials legend")).to_contain_text("a token is set for bot")
    expect(page.get_by_label("Access token or password")).to_have_value("")
    assert TOKEN not in page.content()
    assert BuildSettings.objects.get().git_username == "bot"

    page.get_by_text("Add a secret").click()
    page.get_by_label("Secret name").fill("NPM_TOKEN")
    page.get_by_label("Secret value").fill(SECRET)
    page.get_by_role("button", name="Save secret").click()
    expect(page.locator(".flash-success")).to_contain_text("Secret NPM_TOKEN saved.")
    expect(page.locator(".secret-list")).to_contain_text("NPM_TOKEN")
    assert SECRET not in page.content()
    shot("credentials-and-secrets")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete secret NPM_TOKEN").click()
    expect(page.locator(".flash-success")).to_contain_text("Secret NPM_TOKEN deleted.")
    assert not BuildSecret.objects.exists()


def test_a_bad_secret_shows_its_error_next_to_the_field(page, owner):
    sign_in(page, owner)
    page.goto("/r/keeper/app/builds/")
    page.get_by_text("Add a secret").click()
    page.get_by_label("Secret name").fill("9lives")
    page.get_by_label("Secret value").fill("ab")
    page.get_by_role("button", name="Save secret").click()
    expect(page.locator(".secret-form .field.has-error").first).to_contain_text(
        "A secret's name is letters"
    )
