import time

import jwt
import pytest

from accounts.authentication import API_TOKEN_AUDIENCE, _api_token_key, api_token_issue
from hub.registry import tokens as registry_tokens
from tests.api.conftest import as_token
from tests.factories import PASSWORD, UserFactory, make_token

LOGIN = "/api/v2/users/login"
ME = "/api/v2/user/"


def test_login_returns_a_token_that_authenticates_the_api(api, user):
    response = api.post(LOGIN, {"username": user.username, "password": PASSWORD}, format="json")

    assert response.status_code == 200
    token = response.json()["token"]
    me = as_token(token).get(ME)
    assert me.status_code == 200
    assert me.json()["username"] == user.username
    assert me.json()["token_scope"] is None


def test_login_token_is_a_jwt_for_the_user_that_expires_in_a_day(api, user):
    response = api.post(LOGIN, {"username": user.username, "password": PASSWORD}, format="json")
    claims = jwt.decode(
        response.json()["token"], _api_token_key(), algorithms=["HS256"], audience="wharf-api"
    )
    assert claims["sub"] == user.username
    assert 24 * 3600 - 60 <= claims["exp"] - time.time() <= 24 * 3600


def test_login_accepts_the_email_address(api, user):
    response = api.post(LOGIN, {"username": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 200
    assert as_token(response.json()["token"]).get(ME).json()["username"] == user.username


@pytest.mark.parametrize("username", ["{user}", "nosuchuser"])
def test_bad_credentials_get_401_with_a_message(api, user, username):
    data = {"username": username.format(user=user.username), "password": "wrong-password"}
    response = api.post(LOGIN, data, format="json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Incorrect username or password."}


def test_a_personal_access_token_is_no_password_here(api, user):
    _, raw = make_token(user)
    response = api.post(LOGIN, {"username": user.username, "password": raw}, format="json")
    assert response.status_code == 401


def test_missing_fields_say_which(api, db):
    response = api.post(LOGIN, {"username": "someone"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"password": ["This field is required."]}


def test_deactivated_account_cannot_sign_in(api, user):
    user.is_active = False
    user.save()
    response = api.post(LOGIN, {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 401


def test_repeated_failures_lock_the_account_out_with_429(api, user, settings):
    settings.WHARF_LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        wrong = {"username": user.username, "password": "wrong-password"}
        assert api.post(LOGIN, wrong, format="json").status_code == 401

    response = api.post(LOGIN, {"username": user.username, "password": PASSWORD}, format="json")

    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.json()["detail"]
    assert int(response["Retry-After"]) > 0


def test_failures_by_email_count_towards_the_username(api, user, settings):
    settings.WHARF_LOGIN_MAX_FAILURES = 2
    api.post(LOGIN, {"username": user.email, "password": "nope-nope"}, format="json")
    api.post(LOGIN, {"username": user.username, "password": "nope-nope"}, format="json")
    response = api.post(LOGIN, {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 429


def test_success_clears_earlier_failures(api, user, settings):
    settings.WHARF_LOGIN_MAX_FAILURES = 2
    wrong = {"username": user.username, "password": "wrong-password"}
    right = {"username": user.username, "password": PASSWORD}
    api.post(LOGIN, wrong, format="json")
    assert api.post(LOGIN, right, format="json").status_code == 200
    api.post(LOGIN, wrong, format="json")
    assert api.post(LOGIN, right, format="json").status_code == 200


def test_login_ignores_a_stale_authorization_header(user):
    client = as_token("not-a-token")
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200


def test_changing_the_password_signs_out_api_tokens(user):
    token = api_token_issue(user=user)
    user.set_password("another-long-passphrase")
    user.save()
    response = as_token(token).get(ME)
    assert response.status_code == 401
    assert "sign in again" in response.json()["detail"]


def test_expired_token_is_refused(user):
    claims = {
        "sub": user.username,
        "aud": API_TOKEN_AUDIENCE,
        "iat": int(time.time()) - 7200,
        "exp": int(time.time()) - 3600,
        "pwd": "x",
    }
    token = jwt.encode(claims, _api_token_key(), algorithm="HS256")
    assert as_token(token).get(ME).status_code == 401


def test_token_of_a_deactivated_account_is_refused(user):
    token = api_token_issue(user=user)
    user.is_active = False
    user.save()
    assert as_token(token).get(ME).status_code == 401


def test_registry_token_is_not_an_api_token(user, settings):
    token = registry_tokens.issue(subject=user.username, access=[])["token"]
    response = as_token(token).get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_token_signed_with_another_key_is_refused(user):
    genuine = jwt.decode(
        api_token_issue(user=user), options={"verify_signature": False}, audience="wharf-api"
    )
    forged = jwt.encode(genuine, "a-guessed-key-" + "x" * 32, algorithm="HS256")
    assert as_token(forged).get(ME).status_code == 401


def test_staff_login_token_carries_no_scope_limit(db):
    staff = UserFactory(is_staff=True)
    token = api_token_issue(user=staff)
    assert as_token(token).get(ME).json()["is_staff"] is True
