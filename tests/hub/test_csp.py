"""Every HTML page carries a strict Content-Security-Policy, and no template needs an exception.

The browser proves the pages work under it (tests/browser/test_csp.py); these tests catch a
missing header or a new inline script or style cheaply, without one.
"""

import asyncio
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.tokens import default_token_generator
from django.http import HttpResponse, JsonResponse
from django.test import RequestFactory
from django.urls import path
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from builds.models import Build
from builds.services import build_settings_for, rule_create
from hub.middleware import ContentSecurityPolicyMiddleware
from hub.urls import urlpatterns as hub_urlpatterns
from tests.factories import UserFactory, make_token

# Written out rather than read from settings: loosening the policy must fail a test.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# DRF's browsable API styles its pages inline (hub/middleware.py); scripts stay as strict.
BROWSABLE_API_POLICY = POLICY.replace("style-src 'self';", "style-src 'self' 'unsafe-inline';")
TEMPLATES_DIR = Path(django_settings.BASE_DIR) / "templates"


@pytest.fixture
def hub_pages(alice, tagged_repo):
    """Paths of one page of every kind, with what they need to render."""
    build_settings_for(repository=tagged_repo)
    rule = rule_create(repository=tagged_repo, source="main", docker_tag="latest")
    build = Build.objects.create(
        repository=tagged_repo, source_url="https://git.example/a.git", source_ref="main"
    )
    make_token(alice)
    uid = urlsafe_base64_encode(force_bytes(alice.pk))
    reset = f"/password/reset/{uid}/{default_token_generator.make_token(alice)}/"
    return {
        "rule": f"/r/alice/app/builds/rules/{rule.pk}/",
        "build": f"/r/alice/app/builds/{build.pk}/",
        "reset": reset,
        "alice-change": f"/admin/accounts/user/{alice.pk}/change/",
    }


SIGNED_OUT = [
    "/",
    "/explore/",
    "/search/?q=app",
    "/signup/",
    "/login/",
    "/password/reset/",
    "/password/reset/sent/",
    "reset",
    "/u/alice/",
    "/r/alice/app/",
    "/r/alice/app/tags/",
    "/r/alice/app/tags/v1/",
    "/r/alice/app/builds/",
    "build",
    "/api/docs/",
    ("/no/such/page/", 404),
]
SIGNED_IN = [
    "/",
    "/u/alice/",
    "/repositories/new/",
    "/settings/tokens/",
    "/settings/password/",
    "/r/alice/app/",
    "/r/alice/app/tags/",
    "/r/alice/app/builds/",
    "rule",
    "build",
    "/r/alice/app/settings/",
    ("/admin/", 403),  # alice is not staff: the page that says so
]
STAFF = [
    "/admin/",
    "/admin/accounts/user/",
    "/admin/accounts/user/add/",
    "alice-change",
    "/admin/accounts/accesstoken/",
]


@pytest.fixture
def superuser(db, fast_passwords):
    return UserFactory(username="harbourchief", is_staff=True, is_superuser=True)


def _get(client, hub_pages, page):
    page, status = page if isinstance(page, tuple) else (page, 200)
    response = client.get(hub_pages.get(page, page), follow=True)
    assert response.status_code == status, (page, response.status_code)
    assert response["Content-Type"].startswith("text/html")
    return response


@pytest.mark.parametrize("page", SIGNED_OUT)
def test_signed_out_pages_carry_the_strict_policy(client, hub_pages, page):
    assert _get(client, hub_pages, page)["Content-Security-Policy"] == POLICY


@pytest.mark.parametrize("page", SIGNED_IN)
def test_signed_in_pages_carry_the_strict_policy(client, alice, hub_pages, page):
    client.force_login(alice)
    assert _get(client, hub_pages, page)["Content-Security-Policy"] == POLICY


@pytest.mark.parametrize("page", STAFF)
def test_admin_pages_carry_the_strict_policy(client, superuser, hub_pages, page):
    client.force_login(superuser)
    assert _get(client, hub_pages, page)["Content-Security-Policy"] == POLICY


def test_swagger_ui_start_up_script_is_a_file_not_inline(client, db):
    page = client.get("/api/docs/").content.decode()
    inline = [attrs for attrs in re.findall(r"<script\b([^>]*)>", page) if "src=" not in attrs]
    assert inline == []
    assert "<style" not in page
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()
    # No badge from validator.swagger.io, which would learn the schema's URL on every visit.
    assert '"validatorUrl": null' in script.content.decode()


def test_the_csrf_failure_page_carries_the_policy(db):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/login/", {"username": "x"})
    assert response.status_code == 403
    assert "That form has expired" in response.content.decode()
    assert response["Content-Security-Policy"] == POLICY


def test_the_bad_host_page_carries_the_policy(client, db):
    response = client.get("/", HTTP_HOST="hub.elsewhere.example")
    assert response.status_code == 400
    assert response["Content-Security-Policy"] == POLICY


def _boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", _boom), *hub_urlpatterns]
handler404 = "hub.errors.not_found"
handler500 = "hub.errors.server_error"


def test_the_server_error_page_carries_the_policy(client, db, settings):
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert response["Content-Security-Policy"] == POLICY


def test_json_answers_carry_no_policy(client, db):
    response = client.get("/api/v2/repositories/alice/", HTTP_ACCEPT="application/json")
    assert response["Content-Type"] == "application/json"
    assert "Content-Security-Policy" not in response
    assert "Content-Security-Policy" not in client.get("/healthz")


def test_the_browsable_api_may_use_inline_styles_but_not_inline_script(client, alice):
    client.force_login(alice)
    response = client.get("/api/v2/user/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Security-Policy"] == BROWSABLE_API_POLICY


def test_a_response_with_its_own_policy_keeps_it(rf: RequestFactory, settings):
    def view(request):
        response = HttpResponse("<p>hi</p>")
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    response = ContentSecurityPolicyMiddleware(view)(rf.get("/"))
    assert response["Content-Security-Policy"] == "default-src 'none'"


def test_the_policy_is_set_when_the_stack_below_is_async(rf: RequestFactory):
    async def view(request):
        return HttpResponse("<p>hi</p>")

    middleware = ContentSecurityPolicyMiddleware(view)
    assert asyncio.iscoroutinefunction(middleware)
    response = asyncio.run(middleware(rf.get("/")))
    assert response["Content-Security-Policy"] == POLICY
    json = asyncio.run(ContentSecurityPolicyMiddleware(_json_view)(rf.get("/")))
    assert "Content-Security-Policy" not in json


async def _json_view(request):
    return JsonResponse({"ok": True})


def test_django_debug_pages_keep_their_inline_scripts(client, db, settings):
    settings.DEBUG = True
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Content-Security-Policy" not in response
    assert client.get("/")["Content-Security-Policy"] == POLICY


# --- the templates themselves: nothing the policy would block ---


def _templates():
    files = sorted(TEMPLATES_DIR.rglob("*.html"))
    assert len(files) > 20
    return [(f.relative_to(TEMPLATES_DIR).as_posix(), f.read_text(encoding="utf-8")) for f in files]


def _without_comments(text: str) -> str:
    text = re.sub(r"{#.*?#}", "", text)
    return re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", "", text, flags=re.S)


def inline_scripts(text: str) -> list[str]:
    """<script> elements with code in the page (JSON data blocks are not run, so they pass)."""
    found = []
    for match in re.finditer(r"<script\b([^>]*)>(.*?)</script\s*>", text, flags=re.S | re.I):
        attrs, body = match.groups()
        if re.search(r"""type=["']?application/(ld\+)?json""", attrs, re.I):
            continue
        if not re.search(r"\ssrc\s*=", " " + attrs, re.I) or body.strip():
            found.append(match.group(0)[:80])
    return found


def _start_tags(text: str) -> list[str]:
    return re.findall(r"<[a-zA-Z][^>]*>", text)


def handlers_and_javascript_urls(text: str) -> list[str]:
    pattern = r"""\son[a-z]+\s*=|=\s*["']?\s*javascript:"""
    return [tag[:80] for tag in _start_tags(text) if re.search(pattern, tag, re.I)]


def inline_styles(text: str) -> list[str]:
    return [
        tag[:80]
        for tag in _start_tags(text)
        if re.search(r"\sstyle\s*=", tag, re.I) or re.match(r"<style\b", tag, re.I)
    ]


@pytest.mark.parametrize("check", [inline_scripts, handlers_and_javascript_urls, inline_styles])
def test_no_template_has_what_the_policy_blocks(check):
    found = [(name, hit) for name, text in _templates() for hit in check(_without_comments(text))]
    assert found == []


def test_the_template_checks_see_what_they_look_for():
    page = (
        '<p style="x"><style>p{}</style><img src=a onerror="alert(1)"><a href="javascript:go()">'
        '<script>go()</script><script src="/a.js"></script><script src="/b.js">go()</script>'
        '<script type="application/json" id="d">{"a": 1}</script>'
        "{# <script>commented()</script> #}"
    )
    assert inline_styles(page) == ['<p style="x">', "<style>"]
    assert len(handlers_and_javascript_urls(page)) == 2
    assert inline_scripts(_without_comments(page)) == [
        "<script>go()</script>",
        '<script src="/b.js">go()</script>',
    ]
