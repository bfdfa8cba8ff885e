from django.urls import reverse

from tests.factories import PASSWORD

LOGIN = reverse("accounts:login")


def test_login_with_username(client, user):
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD}, follow=True)
    assert response.context["user"] == user


def test_login_with_email(client, user):
    response = client.post(
        LOGIN, {"username": user.email.upper(), "password": PASSWORD}, follow=True
    )
    assert response.context["user"] == user


def test_login_with_wrong_password_says_so(client, user):
    response = client.post(LOGIN, {"username": user.username, "password": "nope-nope-nope"})
    assert response.status_code == 200
    assert "Incorrect username or password." in response.content.decode()
    assert not response.context["user"].is_authenticated


def test_login_honours_next(client, user):
    response = client.post(
        LOGIN + "?next=/settings/tokens/",
        {"username": user.username, "password": PASSWORD, "next": "/settings/tokens/"},
    )
    assert response["Location"] == "/settings/tokens/"


def test_login_refuses_inactive_account(client, user):
    user.is_active = False
    user.save()
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert not response.context["user"].is_authenticated


def test_tenth_failure_locks_out_even_the_right_password(client, user, settings):
    settings.WHARF_LOGIN_MAX_FAILURES = 10
    for _ in range(10):
        client.post(LOGIN, {"username": user.username, "password": "wrong-password"})

    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})

    page = response.content.decode()
    assert "Too many failed sign-in attempts for this account from your network." in page
    assert "Try again in 15 minute(s)" in page
    assert not response.context["user"].is_authenticated


def test_lockout_is_per_address(client, user, settings):
    settings.WHARF_LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        client.post(
            LOGIN,
            {"username": user.username, "password": "wrong-password"},
            REMOTE_ADDR="203.0.113.7",
        )

    response = client.post(
        LOGIN,
        {"username": user.username, "password": PASSWORD},
        REMOTE_ADDR="198.51.100.2",
        follow=True,
    )
    assert response.context["user"] == user


def test_lockout_counts_the_email_and_username_spellings_separately_from_other_accounts(
    client, user, other_user, settings
):
    settings.WHARF_LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        client.post(LOGIN, {"username": user.username, "password": "wrong-password"})

    response = client.post(
        LOGIN, {"username": other_user.username, "password": PASSWORD}, follow=True
    )
    assert response.context["user"] == other_user


def test_successful_login_resets_the_failure_count(client, user, settings):
    settings.WHARF_LOGIN_MAX_FAILURES = 3
    for _ in range(2):
        client.post(LOGIN, {"username": user.username, "password": "wrong-password"})
    client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    client.logout()
    for _ in range(2):
        client.post(LOGIN, {"username": user.username, "password": "wrong-password"})

    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD}, follow=True)
    assert response.context["user"] == user


def test_logout_needs_post_and_signs_out(client, user):
    client.force_login(user)
    assert client.get(reverse("accounts:logout")).status_code == 405

    response = client.post(reverse("accounts:logout"), follow=True)

    assert not response.context["user"].is_authenticated
    assert "You are signed out." in response.content.decode()
