"""A team shares a private repository, in chromium: alice creates the organization acme, the
team devs with bob in it, the private acme/app, and gives devs write on it; bob sees it and
pushes to it with skopeo; carol, no member, finds nothing."""

import pytest
from playwright.sync_api import expect

from hub.models import Repository, Tag
from orgs.models import Membership, TeamPermission
from tests.browser.support import sign_in
from tests.factories import PASSWORD, UserFactory
from tests.registry.conftest import clients, make_image, registry  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture
def people(transactional_db):
    return UserFactory(username="alice"), UserFactory(username="bob"), UserFactory(username="carol")


def assert_clean(csp_watch):
    problems = csp_watch.problems()
    assert problems == [], "\n".join(map(str, problems))


def sign_out(page):
    page.locator(".usermenu summary").click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page.locator(".flash-info")).to_have_text("You are signed out.")


def test_a_team_shares_a_private_repository_and_a_member_pushes_to_it(
    page,
    shot,
    csp_watch,
    people,
    clients,  # noqa: F811
    tmp_path,
):
    alice, bob, carol = people
    sign_in(page, alice)

    # The organization, from the user menu.
    page.locator(".usermenu summary").click()
    page.get_by_role("menuitem", name="Create organization").click()
    page.get_by_label("Organization name").fill("acme")
    page.get_by_label("Full name").fill("Acme Corp.")
    page.get_by_role("button", name="Create organization").click()
    expect(page.locator(".flash-success")).to_have_text(
        "Created acme. You are its owner: add members and teams next."
    )
    expect(page.get_by_role("heading", name="acme", exact=True)).to_be_visible()
    assert_clean(csp_watch)
    shot("org-created")

    # A team, and bob in it.
    page.get_by_role("navigation", name="Organization").get_by_role("link", name="Teams").click()
    page.get_by_label("Team name").fill("devs")
    page.get_by_label("Description").fill("The developers")
    page.get_by_role("button", name="Create team").click()
    expect(page.locator(".flash-success")).to_have_text("Created team devs. Add its members here.")
    page.get_by_label("Username").fill("bob")
    page.get_by_role("button", name="Add to team").click()
    expect(page.locator(".flash-success")).to_have_text("Added bob to devs.")
    expect(page.locator(".team-members")).to_contain_text("bob")
    assert Membership.objects.get(namespace__name="acme", user=bob).role == "member"
    assert_clean(csp_watch)
    shot("team")

    # A private repository of acme, from the organization's page.
    org_tabs = page.get_by_role("navigation", name="Organization")
    org_tabs.get_by_role("link", name="Repositories").click()
    page.get_by_role("link", name="New repository").click()
    expect(page.get_by_label("Namespace")).to_have_value("acme")
    page.get_by_label("Repository name").fill("app")
    page.get_by_label("Private").check()
    page.get_by_role("button", name="Create repository").click()
    expect(page.get_by_role("heading", name="acme/app")).to_be_visible()
    expect(page.locator(".repo-head .badge-private")).to_have_text("Private")

    # Settings → Permissions: devs may write.
    page.get_by_role("navigation", name="Repository").get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Permissions", exact=True).click()
    page.get_by_label("Team", exact=True).select_option("devs")
    page.get_by_label("Permission", exact=True).select_option("write")
    page.get_by_role("button", name="Give access").click()
    expect(page.locator(".flash-success")).to_have_text("devs has write on acme/app.")
    expect(page.get_by_label("Permission of devs")).to_have_value("write")
    assert TeamPermission.objects.get(team__name="devs").get_level_display() == "write"
    assert_clean(csp_watch)
    shot("permissions")
    sign_out(page)

    # bob finds acme in his menu and acme/app on its page.
    sign_in(page, bob)
    page.locator(".usermenu summary").click()
    page.get_by_role("menuitem", name="acme", exact=True).click()
    expect(page.locator(".repo-list .repo-name")).to_have_text(["acme/app"])
    page.get_by_role("link", name="acme/app").click()
    expect(page.get_by_role("heading", name="acme/app")).to_be_visible()
    expect(page.get_by_role("link", name="Settings")).to_have_count(0)  # write, not admin
    assert_clean(csp_watch)
    shot("bob-sees-app")

    # bob pushes with a real client, signed in with his own password.
    image = make_image(tmp_path / "image", layers=2)
    assert "Login Succeeded" in clients.login("bob", PASSWORD).stdout
    clients.skopeo(
        "copy", "--dest-tls-verify=false", f"oci:{image}:v1", f"docker://{clients.host}/acme/app:v1"
    )
    assert Tag.objects.filter(repository__namespace__name="acme", name="v1").exists()
    page.goto("/r/acme/app/tags/")
    expect(page.locator(".tags-table .tag-name")).to_have_text(["v1"])
    shot("bob-pushed")
    sign_out(page)

    # carol, no member, finds neither the repository nor the members.
    sign_in(page, carol)
    for path in ("/r/acme/app/", "/r/acme/app/tags/", "/orgs/acme/members/", "/orgs/acme/teams/"):
        assert page.goto(path).status == 404, path
    assert page.goto("/orgs/acme/").status == 200
    expect(page.locator(".repo-list")).to_have_count(0)
    expect(page.get_by_text("acme has no repositories you can see yet.")).to_be_visible()
    page.locator(".usermenu summary").click()
    expect(page.locator(".menu-org")).to_have_count(0)
    assert Repository.objects.filter(namespace__name="acme").count() == 1
