import pytest
from django.test import Client


def test_home_explains_wharf_and_invites_sign_up(client, db):
    page = client.get("/").content.decode()
    assert "Your team's own Docker Hub." in page
    assert 'href="/signup/"' in page
    assert "Sign up — it's your hub" in page


def test_home_for_a_signed_in_user_offers_tokens_and_their_menu(client, user):
    client.force_login(user)
    page = client.get("/").content.decode()
    assert f"/{user.username}/myapp:1.0" in page
    assert 'href="/settings/tokens/"' in page
    assert "Sign out" in page
    assert "Sign up — it's your hub" not in page


def test_pages_use_hashed_static_names(client, db):
    page = client.get("/").content.decode()
    assert "/static/css/wharf." in page
    assert "/static/css/wharf.css" not in page  # the manifest's hashed name, not the source name


def test_top_bar_search_lands_on_the_search_page_with_the_query(client, db):
    page = client.get("/search/", {"q": "<b>nginx</b>"}).content.decode()
    assert "No repositories match “&lt;b&gt;nginx&lt;/b&gt;”" in page
    assert "<b>nginx</b>" not in page


def test_unknown_page_is_a_friendly_404(client, db):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_unknown_api_path_is_a_json_404(client, db):
    response = client.get("/api/v2/nothing/")
    assert response.status_code == 404
    assert response.json()["detail"] == "Not found."


def test_footer_links_to_the_health_check(client, db):
    page = client.get("/").content.decode()
    assert '<a href="/healthz">Health</a>' in page


@pytest.mark.parametrize("path", ["/", "/explore/", "/search/?q=nginx"])
def test_pages_answer_head_requests(client, db, path):
    response = client.head(path)
    assert response.status_code == 200
    assert response.content == b""


def test_unknown_host_gets_a_page_telling_the_admin_what_to_set(client, db):
    response = client.get("/", HTTP_HOST="hub.elsewhere.example")
    page = response.content.decode()
    assert response.status_code == 400
    assert "This hub does not answer to that address" in page
    assert "<code>WHARF_URL</code>" in page
    assert "<code>ALLOWED_HOSTS</code>" in page


def test_expired_form_explains_and_offers_the_page_again(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "someone", "password": "whatever1"})
    page = response.content.decode()
    assert response.status_code == 403
    assert "That form has expired" in page
    assert "Nothing was changed." in page
    assert '<a class="btn btn-primary" href="/login/">Back to the page</a>' in page
    assert 'class="topbar"' in page  # the site's usual frame, not a bare error
