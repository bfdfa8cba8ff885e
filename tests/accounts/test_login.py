import re

from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

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


def test_lockout_of_one_account_leaves_other_accounts_alone(client, user, other_user, settings):
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


def test_failures_by_username_lock_out_sign_in_by_email(client, user, settings):
    settings.WHARF_LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        client.post(LOGIN, {"username": user.username, "password": "wrong-password"})

    response = client.post(LOGIN, {"username": user.email.upper(), "password": PASSWORD})

    assert "Too many failed sign-in attempts" in response.content.decode()
    assert not response.context["user"].is_authenticated


def test_failures_by_email_lock_out_sign_in_by_username(client, user, settings):
    settings.WHARF_LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        client.post(LOGIN, {"username": user.email, "password": "wrong-password"})

    response = client.post(LOGIN, {"username": user.username.upper(), "password": PASSWORD})

    assert "Too many failed sign-in attempts" in response.content.decode()


def test_failures_for_an_unknown_name_lock_out_that_name_in_any_case(client, db, settings):
    settings.WHARF_LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        client.post(LOGIN, {"username": "ghost@example.test", "password": "wrong-password"})

    response = client.post(LOGIN, {"username": "GHOST@example.test", "password": "whatever1"})

    assert "Too many failed sign-in attempts" in response.content.decode()


def test_registry_failures_count_towards_the_web_lockout(client, user, settings):
    from accounts.ratelimit import login_failure_record

    settings.WHARF_LOGIN_MAX_FAILURES = 3
    for _ in range(3):  # what the registry's sign-in records: by username
        login_failure_record(login=user.username, address="127.0.0.1")

    response = client.post(LOGIN, {"username": user.email, "password": PASSWORD})

    assert "Too many failed sign-in attempts" in response.content.decode()


def test_login_box_takes_a_long_email_address(client, db):
    long_email = "firstname.middlename.lastname@engineering.example.test"
    UserFactory(username="longmail", email=long_email)
    page = client.get(LOGIN).content.decode()
    assert re.search(r'<input[^>]* name="username"[^>]* maxlength="254"', page)

    response = client.post(LOGIN, {"username": long_email, "password": PASSWORD}, follow=True)

    assert response.context["user"].username == "longmail"


def test_logout_link_asks_for_confirmation_and_does_not_sign_out(client, user):
    client.force_login(user)

    response = client.get(reverse("accounts:logout"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Sign out of Wharf?" in page
    assert f'<form method="post" action="{reverse("accounts:logout")}">' in page
    assert client.get("/").context["user"] == user


def test_logout_page_sends_a_signed_out_visitor_home(client, db):
    response = client.get(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_logout_by_post_signs_out(client, user):
    client.force_login(user)

    response = client.post(reverse("accounts:logout"), follow=True)

    assert not response.context["user"].is_authenticated
    assert "You are signed out." in response.content.decode()
