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


def test_admin_is_enabled_for_staff(client, user):
    user.is_staff = True
    user.is_superuser = True
    user.save()
    client.force_login(user)
    assert client.get("/admin/accounts/user/").status_code == 200


def test_admin_refuses_non_staff(client, user):
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
