"""Every kind of page works under the strict Content-Security-Policy, in chromium.

Each page is checked three ways: its response carries the policy; the browser reported no
violation (no securitypolicyviolation event, no console error about the policy, no uncaught
script error); and the page's own script or stylesheet visibly did its job, so a script the
policy silently blocked fails the test.
"""

import re
from types import SimpleNamespace

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import path
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import expect

from builds.models import Build
from builds.services import build_settings_for, rule_create
from hub.models import Repository
from hub.urls import urlpatterns as hub_urlpatterns
from tests.browser.support import sign_in
from tests.factories import PASSWORD, UserFactory, make_token
from tests.hub.conftest import push_image
from tests.hub.test_csp import BROWSABLE_API_POLICY, POLICY

pytestmark = pytest.mark.browser

TOPBAR_COLOUR = "rgb(13, 27, 42)"  # .topbar in wharf.css: proof the stylesheet applied


@pytest.fixture
def site(transactional_db):
    """alice/app with tag v1, a build rule, a running build; alice's token; a superuser."""
    alice = UserFactory(username="alice")
    chief = UserFactory(username="harbourchief", is_staff=True, is_superuser=True)
    push_image("alice/app:v1")
    repo = Repository.objects.get(namespace__name="alice", name="app")
    build_settings_for(repository=repo)
    rule = rule_create(repository=repo, source="main", docker_tag="latest")
    build = Build.objects.create(
        repository=repo,
        source_url="https://git.example/alice/app.git",
        source_ref="main",
        tags=["latest"],
        status=Build.Status.BUILDING,
        started_at=timezone.now(),
        commit_sha="0123456789abcdef0123",
    )
    make_token(alice, description="laptop")
    return SimpleNamespace(alice=alice, chief=chief, repo=repo, rule=rule, build=build)


def visit(page, csp_watch, url, status=200):
    response = page.goto(url)
    assert response.status == status, url
    assert response.headers.get("content-security-policy") == POLICY, url
    return response


def assert_clean(csp_watch):
    problems = csp_watch.problems()
    assert problems == [], "\n".join(map(str, problems))


def assert_styled(page):
    expect(page.locator(".topbar")).to_have_css("background-color", TOPBAR_COLOUR)


def dismiss_next_dialog(page) -> list[str]:
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", answer)
    return asked


def expect_build_log_live(page):
    # The policy lists no ws: source: this socket connects only because 'self' covers it.
    expect(page.locator("[data-live-state]")).to_have_text("Live")


def test_signed_out_pages_work_under_the_policy(page, csp_watch, site):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    uid = urlsafe_base64_encode(force_bytes(site.alice.pk))
    reset = f"/password/reset/{uid}/{default_token_generator.make_token(site.alice)}/"
    for url in ["/", "/explore/", "/signup/", "/login/", "/password/reset/", "/u/alice/"]:
        visit(page, csp_watch, url)
        assert_styled(page)
        assert_clean(csp_watch)
    page.goto(reset)  # redirects to the set-password form
    expect(page.get_by_label("New password", exact=True)).to_be_visible()
    assert_clean(csp_watch)

    visit(page, csp_watch, "/search/?q=app")
    page.get_by_label("Automated").check()  # autosubmit.js sends the form
    expect(page).to_have_url(re.compile(r"automated=1"))
    assert_clean(csp_watch)

    visit(page, csp_watch, "/r/alice/app/")
    copy = page.get_by_role("button", name="Copy the pull command")
    copy.click()  # copy.js
    expect(copy).to_have_text("Copied")
    assert_clean(csp_watch)

    for url in ["/r/alice/app/tags/", "/r/alice/app/tags/v1/"]:
        visit(page, csp_watch, url)
        assert_styled(page)
        assert_clean(csp_watch)

    visit(page, csp_watch, "/r/alice/app/builds/")
    expect(page.locator("[data-live-history]")).to_have_attribute("data-live", "true")
    assert_clean(csp_watch)

    visit(page, csp_watch, f"/r/alice/app/builds/{site.build.pk}/")
    expect_build_log_live(page)
    assert_clean(csp_watch)

    visit(page, csp_watch, "/no/such/page/", status=404)
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert_styled(page)
    assert_clean(csp_watch)


def test_the_build_log_websocket_is_a_same_origin_ws_url(page, csp_watch, site):
    sockets = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    visit(page, csp_watch, f"/r/alice/app/builds/{site.build.pk}/")
    expect_build_log_live(page)
    host = page.url.split("/")[2]
    assert sockets == [f"ws://{host}/ws/builds/{site.build.pk}/?after=0"]
    assert "ws:" not in POLICY and "wss:" not in POLICY
    assert_clean(csp_watch)


def test_signed_in_pages_work_under_the_policy(page, csp_watch, site):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, site.alice)
    assert_clean(csp_watch)
    for url in [
        "/",
        "/u/alice/",
        "/repositories/new/",
        "/settings/password/",
        "/r/alice/app/",
        "/r/alice/app/settings/",
        f"/r/alice/app/builds/rules/{site.rule.pk}/",
    ]:
        visit(page, csp_watch, url)
        assert_styled(page)
        assert_clean(csp_watch)

    visit(page, csp_watch, "/settings/tokens/")
    page.get_by_label("Description").fill("ci on build-01")
    page.get_by_role("button", name="Generate token").click()
    copy = page.locator("[data-copy='#new-token']")
    copy.click()
    expect(copy).to_have_text("Copied")
    asked = dismiss_next_dialog(page)
    page.get_by_role("button", name=re.compile("Revoke")).first.click()  # confirm.js asks
    expect(page.locator("#new-token")).to_be_visible()  # dismissed: nothing was sent
    assert asked and asked[0].startswith("Revoke")
    assert_clean(csp_watch)

    visit(page, csp_watch, "/r/alice/app/tags/")
    asked = dismiss_next_dialog(page)
    page.get_by_role("button", name="Delete tag v1").click()
    expect(page.locator(".tags-table .tag-name")).to_have_text(["v1"])
    assert asked and asked[0].startswith("Delete tag v1")
    assert_clean(csp_watch)

    visit(page, csp_watch, "/r/alice/app/builds/")
    expect(page.locator("[data-live-history]")).to_have_attribute("data-live", "true")
    assert_clean(csp_watch)

    visit(page, csp_watch, f"/r/alice/app/builds/{site.build.pk}/")
    expect_build_log_live(page)
    assert_clean(csp_watch)

    visit(page, csp_watch, "/admin/", status=403)  # not staff: the page that says so
    expect(page.get_by_role("heading", name="The admin is for staff")).to_be_visible()
    assert_clean(csp_watch)


def test_the_api_docs_work_under_the_policy(page, csp_watch, site):
    visit(page, csp_watch, "/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Wharf API")
    expect(page.locator(".opblock").first).to_be_visible()  # the schema was fetched and drawn
    expect(page.locator("body")).to_have_css("margin", "0px")  # apidocs.css
    assert_clean(csp_watch)


def test_the_browsable_api_works_under_its_policy(page, csp_watch, site):
    sign_in(page, site.alice)
    response = page.goto("/api/v2/user/")
    assert response.headers["content-security-policy"] == BROWSABLE_API_POLICY
    expect(page.locator(".response-info")).to_contain_text('"username": "alice"')
    assert page.evaluate("typeof window.jQuery") == "function"
    assert_clean(csp_watch)


def test_the_admin_works_under_the_policy(page, csp_watch, site):
    sign_in(page, site.chief)
    visit(page, csp_watch, "/admin/")
    theme = page.evaluate("() => document.documentElement.dataset.theme")
    page.locator("button.theme-toggle").first.click()  # admin/js/theme.js
    assert page.evaluate("() => document.documentElement.dataset.theme") != theme
    assert_clean(csp_watch)

    visit(page, csp_watch, "/admin/accounts/user/")
    page.locator("#action-toggle").check()  # admin/js/actions.js selects every row
    expect(page.locator(".action-select:checked")).to_have_count(2)
    expect(page.locator(".action-counter")).to_contain_text("2 of 2 selected")
    assert_clean(csp_watch)

    visit(page, csp_watch, f"/admin/accounts/user/{site.alice.pk}/change/")
    # admin/js/admin/DateTimeShortcuts.js adds "Today" / "Now" next to the date fields.
    expect(page.locator(".datetimeshortcuts").first).to_be_visible()
    assert_clean(csp_watch)

    for url in ["/admin/accounts/user/add/", "/admin/accounts/accesstoken/"]:
        visit(page, csp_watch, url)
        assert_clean(csp_watch)


def test_the_expired_form_page_works_under_the_policy(page, csp_watch, site):
    page.goto("/login/")
    page.context.clear_cookies()  # no CSRF cookie any more: the form has "expired"
    page.get_by_label("Username or email").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 403
    assert answer.value.headers["content-security-policy"] == POLICY
    expect(page.get_by_role("heading", name="That form has expired")).to_be_visible()
    assert_styled(page)
    assert_clean(csp_watch)


def test_the_wrong_host_page_works_under_the_policy(page, csp_watch, asgi_server, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    visit(page, csp_watch, f"http://localhost:{asgi_server.port}/", status=400)
    expect(page.locator("body")).to_have_css("max-width", "640px")  # wharf.css, by plain name
    assert_clean(csp_watch)


def _boom(request):
    raise RuntimeError("a bug, on purpose")


urlpatterns = [path("boom/", _boom), *hub_urlpatterns]
handler404 = "hub.errors.not_found"
handler500 = "hub.errors.server_error"


def test_the_server_error_page_works_under_the_policy(page, csp_watch, site, settings):
    settings.ROOT_URLCONF = __name__
    visit(page, csp_watch, "/boom/", status=500)
    expect(page.get_by_role("heading", name="Something went wrong")).to_be_visible()
    expect(page.locator("body")).to_have_css("max-width", "640px")
    assert_clean(csp_watch)
