from django.urls import reverse

from tests.factories import PASSWORD


def make_staff(user, superuser=True):
    user.is_staff = True
    user.is_superuser = superuser
    user.save()
    return user


def test_admin_is_enabled_for_staff(client, user):
    client.force_login(make_staff(user))
    assert client.get("/admin/accounts/user/").status_code == 200


def test_admin_is_branded_wharf(client, user):
    client.force_login(make_staff(user))
    page = client.get("/admin/").content.decode()
    assert "<title>Administration | Wharf admin</title>" in page
    assert "Wharf administration" in page


def test_admin_sends_a_signed_out_visitor_to_the_wharf_sign_in_page(client, db):
    response = client.get("/admin/accounts/user/", follow=True)
    assert response.redirect_chain[-1][0] == "/login/?next=/admin/accounts/user/"
    assert "Sign in to Wharf" in response.content.decode()


def test_staff_signing_in_for_the_admin_come_back_to_it(client, user):
    make_staff(user)
    response = client.post(
        "/login/?next=/admin/", {"username": user.email, "password": PASSWORD, "next": "/admin/"}
    )
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_admin_login_form_no_longer_takes_passwords(client, user):
    make_staff(user)
    response = client.post("/admin/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session


def test_admin_tells_a_signed_in_non_staff_user_it_is_for_staff(client, user):
    client.force_login(user)

    response = client.get("/admin/", follow=True)

    page = response.content.decode()
    assert response.status_code == 403  # a page, not a redirect loop
    assert "The admin is for staff" in page
    assert f"You are signed in as <strong>{user.username}</strong>" in page
    assert 'value="/login/?next=/admin/"' in page
    assert 'name="password"' not in page


def test_admin_login_ignores_a_next_address_on_another_site(client, user):
    client.force_login(make_staff(user))
    response = client.get("/admin/login/", {"next": "https://evil.example/"})
    assert response["Location"] == reverse("admin:index")


def test_staff_without_a_permission_see_a_plain_access_denied_page(client, user):
    client.force_login(make_staff(user, superuser=False))
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 403
    assert "You do not have access to this page" in response.content.decode()
