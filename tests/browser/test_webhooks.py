"""Settings → Webhooks in a browser: add a webhook, press Test, see the delivery arrive."""

import pytest
from playwright.sync_api import expect

from hub.services import repository_create
from tests.browser.support import sign_in
from tests.factories import UserFactory
from tests.webhooks.conftest import SECRET, Receiver

pytestmark = pytest.mark.browser


@pytest.fixture
def owner(transactional_db):
    user = UserFactory(username="hooker")
    repository_create(user=user, namespace="hooker", name="app")
    return user


@pytest.fixture
def hook(settings):
    settings.WHARF_WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on 127.0.0.1
    receiver = Receiver()
    yield receiver
    receiver.stop()


def test_add_a_webhook_press_test_and_see_the_delivery(
    page, shot, csp_watch, owner, hook, celery_worker
):
    sign_in(page, owner)
    page.goto("/r/hooker/app/settings/")
    page.get_by_role("link", name="Webhooks", exact=True).click()

    page.get_by_label("Name").fill("ci")
    page.get_by_label("Payload URL").fill(hook.url)
    page.get_by_label("Delete: a tag or a manifest is deleted").check()
    page.get_by_label("Secret").fill(SECRET)
    page.get_by_role("button", name="Add webhook").click()
    expect(page.locator(".flash-success")).to_contain_text("Webhook ci added.")
    assert SECRET not in page.content()

    page.get_by_role("button", name="Test", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text("Test ping to ci queued")
    row = page.locator("tbody.delivery").first
    expect(row.locator(".delivery-row")).to_contain_text("ping")
    # The page refreshes the history until the worker has delivered it.
    expect(row.locator(".delivery-row")).to_contain_text("Success", timeout=30_000)
    expect(row.locator(".delivery-row .response-code")).to_have_text("200")
    row.get_by_text("Details of ping delivery").click()
    expect(row.locator(".attempt")).to_have_count(1)
    shot("delivered")
    assert csp_watch.problems() == []

    page.locator(".crumbs").get_by_role("link", name="Webhooks").click()
    listed = page.locator(".webhook-row", has_text="ci")
    expect(listed).to_contain_text("success")
    expect(listed).to_contain_text("push, delete")
    shot("list")

    [request] = hook.received
    assert request.headers["x-wharf-event"] == "ping"
    assert request.signature_valid(SECRET)
