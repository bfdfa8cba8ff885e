import re

import pytest
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory

SIGNUP = reverse("accounts:signup")
GOOD = {"username": "alice2024", "email": "alice@example.test", "password": "tall-ships-sail"}


def field_error(response, field: str) -> str:
    """The error text shown under ``field``, as the page renders it."""
    form = response.context["form"]
    return " ".join(form.errors.get(field, []))


def test_signup_creates_account_and_signs_in(client, db):
    response = client.post(SIGNUP, GOOD, follow=True)

    user = User.objects.get(username="alice2024")
    assert user.email == "alice@example.test"
    assert user.check_password("tall-ships-sail")
    assert response.context["user"] == user
    assert response.request["PATH_INFO"] == "/u/alice2024/"
    assert "Welcome to Wharf, alice2024!" in response.content.decode()


def test_signup_form_explains_the_username_rules(client, db):
    page = client.get(SIGNUP).content.decode()
    assert "lowercase letters (a–z) and digits (0–9) only" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "abc", "Usernames are 4 to 30 characters long; this one has 3."),
        ("username", "a" * 31, "Usernames are 4 to 30 characters long; this one has 31."),
        ("username", "Alice2024", "Use lowercase letters only (a–z) and digits; no capitals."),
        ("username", "alice.smith", "Use only lowercase letters (a–z) and digits (0–9)"),
        ("username", "alice-smith", "Use only lowercase letters (a–z) and digits (0–9)"),
        ("username", "alice_smith", "Use only lowercase letters (a–z) and digits (0–9)"),
        ("username", "library", "“library” is reserved; please choose another name."),
        ("username", "admin", "“admin” is reserved"),
        ("username", "search", "“search” is reserved"),
        ("username", "", "This field is required."),
        ("email", "not-an-email", "Enter a valid email address."),
        ("email", "", "This field is required."),
        (
            "password",
            "short1",
            "This password is too short. It must contain at least 9 characters.",
        ),
        ("password", "839201847562", "This password is entirely numeric."),
        ("password", "password123", "This password is too common."),
        ("password", "alice2024x", "The password is too similar to the username."),
        ("password", "", "This field is required."),
    ],
)
def test_signup_error_is_shown_next_to_its_field(client, db, field, value, message):
    response = client.post(SIGNUP, {**GOOD, field: value})

    assert response.status_code == 200
    assert message in field_error(response, field)
    # Rendered under the field, not only kept in the form object.
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not User.objects.exists()


def test_signup_reports_the_length_of_a_long_username_instead_of_cutting_it(client, db):
    page = client.get(SIGNUP).content.decode()
    # The browser must let all 60 characters through for the server to count them.
    assert re.search(r'<input[^>]* name="username"[^>]* maxlength="150"', page)

    response = client.post(SIGNUP, {**GOOD, "username": "a" * 60})

    assert "this one has 60." in field_error(response, "username")


def test_signup_refuses_an_email_longer_than_254_characters(client, db):
    page = client.get(SIGNUP).content.decode()
    assert re.search(r'<input[^>]* name="email"[^>]* maxlength="254"', page)

    email = "a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".example"  # 255 characters

    response = client.post(SIGNUP, {**GOOD, "email": email})

    assert field_error(response, "email") == (
        "Ensure this value has at most 254 characters (it has 255)."
    )
    assert not User.objects.exists()


def test_signup_field_help_is_announced_with_the_field(client, db):
    page = client.get(SIGNUP).content.decode()
    assert 'aria-describedby="id_username_helptext"' in page
    assert '<div class="help" id="id_username_helptext">' in page


def test_signup_refuses_a_taken_username(client, db):
    UserFactory(username="alice2024")
    response = client.post(SIGNUP, {**GOOD, "email": "other@example.test"})
    assert field_error(response, "username") == "That username is taken."
    assert User.objects.count() == 1


def test_signup_refuses_a_taken_email_whatever_its_case(client, db):
    UserFactory(email="alice@example.test")
    response = client.post(SIGNUP, {**GOOD, "email": "ALICE@Example.test"})
    assert field_error(response, "email") == "An account with this email address already exists."
    assert User.objects.count() == 1


def test_signup_page_redirects_a_signed_in_user_to_their_profile(client, user):
    client.force_login(user)
    response = client.get(SIGNUP)
    assert response.status_code == 302
    assert response["Location"] == f"/u/{user.username}/"
