"""The owner reads their activity in chromium: from the user menu to the log, then only the
pushes (the Action filter), then the repository's own log from its Settings."""

import re

import pytest
from playwright.sync_api import expect

from hub.events import EventActor
from hub.services import repository_create
from tests.audit.conftest import as_user, push, record
from tests.browser.support import sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def activity(transactional_db):
    """alice's alice/app with two pushes, a build and a token revoked."""
    alice = UserFactory(username="alice")
    app = repository_create(user=alice, namespace="alice", name="app")
    push(app, "v1", alice)
    record("build.success", actor=as_user(alice), repository=app, data={"build_id": 7})
    push(app, "v2", alice)
    record(
        "token.revoked",
        actor=EventActor(user=alice, kind="user", name="alice", ip="127.0.0.1"),
        namespace="alice",
        data={"token": "old ci", "kind": "pat"},
    )
    return alice


def test_the_owner_opens_the_activity_and_filters_it_by_action(page, shot, csp_watch, activity):
    sign_in(page, activity)
    page.locator(".usermenu summary").click()
    page.get_by_role("menuitem", name="Activity", exact=True).click()

    expect(page).to_have_url(re.compile(r"/u/alice/-/activity/$"))
    rows = page.locator(".audit-table tbody tr")
    expect(rows.locator(".audit-action")).to_have_text(
        ["token.revoked", "push", "build.success", "push", "repository.created"]
    )
    expect(rows.first.locator(".audit-details")).to_have_text("kind=pat, token=old ci")
    shot("activity")

    page.get_by_label("Action").select_option("push")
    page.get_by_role("button", name="Filter").click()

    expect(page).to_have_url(re.compile(r"[?&]action=push(&|$)"))
    expect(rows.locator(".audit-target")).to_have_text(["alice/app:v2", "alice/app:v1"])
    expect(page.get_by_role("link", name="Export CSV")).to_have_attribute(
        "href", re.compile(r"action=push.*format=csv")
    )
    shot("activity-pushes")

    # The repository's own log, from its Settings.
    page.goto("/r/alice/app/settings/")
    page.locator(".card", has_text="Activity").get_by_role("link", name="Activity").click()
    expect(page).to_have_url(re.compile(r"/r/alice/app/settings/activity/$"))
    expect(rows.locator(".audit-action")).to_have_text(
        ["push", "build.success", "push", "repository.created"]
    )
    problems = csp_watch.problems()
    assert problems == [], problems
