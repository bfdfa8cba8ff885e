import re

from django.urls import reverse

from accounts.forms import SignUpForm
from tests.factories import PASSWORD

NEW_PASSWORD = "another-long-secret"


def reset_link(mail) -> str:
    match = re.search(r"https?://[^/\s]+(/password/reset/[^\s]+/)", mail.body)
    assert match, mail.body
    return match.group(1)


def test_change_password(client, user):
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "Your password has been changed." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # Still signed in: Django rotates the session hash instead of logging the user out.
    assert response.context["user"] == user


def test_change_password_lands_on_the_profile(client, user):
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response["Location"] == reverse("accounts:profile", args=[user.username])


def test_password_help_is_one_described_line_as_on_sign_up(client, user):
    client.force_login(user)
    page = client.get(reverse("accounts:password_change")).content.decode()
    # Django points aria-describedby at "<id>_helptext"; the rules sit in that element, in the
    # words sign-up uses, not as Django's bulleted list of validators.
    assert 'aria-describedby="id_new_password1_helptext"' in page
    rules = SignUpForm.base_fields["password"].help_text
    assert f'<div class="help" id="id_new_password1_helptext">{rules}</div>' in page
    assert "<ul>" not in page[page.index("<main") :]


def test_change_password_needs_the_old_one(client, user):
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "not-it-at-all",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert "Your old password was entered incorrectly." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_reset_by_email(client, user, mailoutbox, settings):
    response = client.post(reverse("accounts:password_reset"), {"email": user.email}, follow=True)
    assert "Check your email" in response.content.decode()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [user.email]
    assert mail.subject == "Reset your Wharf password"
    assert mail.body.startswith(f"Hello {user.username},")
    assert settings.WHARF_URL.split("://")[1] in mail.body

    # The emailed link redirects to a token-free URL (Django hides the token from referrers).
    form_page = client.get(reset_link(mail), follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.request["PATH_INFO"],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "Your password has been set. You can sign in now." in done.content.decode()

    signed_in = client.post(
        reverse("accounts:login"),
        {"username": user.username, "password": NEW_PASSWORD},
        follow=True,
    )
    assert signed_in.context["user"] == user


def test_password_reset_link_works_once(client, user, mailoutbox):
    client.post(reverse("accounts:password_reset"), {"email": user.email})
    link = reset_link(mailoutbox[0])
    form_page = client.get(link, follow=True)
    client.post(
        form_page.request["PATH_INFO"],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    again = client.get(link, follow=True)
    assert "This link no longer works" in again.content.decode()


def test_password_reset_for_unknown_email_reveals_nothing_and_sends_nothing(client, db, mailoutbox):
    response = client.post(
        reverse("accounts:password_reset"), {"email": "nobody@example.test"}, follow=True
    )
    assert "Check your email" in response.content.decode()
    assert mailoutbox == []


def test_password_reset_lifts_the_sign_in_lockout(client, user, mailoutbox, settings):
    settings.WHARF_LOGIN_MAX_FAILURES = 3
    login = reverse("accounts:login")
    for _ in range(3):
        client.post(login, {"username": user.username, "password": "wrong-password"})
    locked = client.post(login, {"username": user.username, "password": PASSWORD})
    assert "Too many failed sign-in attempts" in locked.content.decode()

    client.post(reverse("accounts:password_reset"), {"email": user.email})
    form_page = client.get(reset_link(mailoutbox[0]), follow=True)
    client.post(
        form_page.request["PATH_INFO"],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    response = client.post(login, {"username": user.email, "password": NEW_PASSWORD}, follow=True)
    assert response.context["user"] == user
