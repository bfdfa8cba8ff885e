import base64
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from accounts.models import AccessToken
from accounts.permissions import TokenScopeAllows
from accounts.services import access_token_revoke
from tests.factories import PASSWORD, make_token

TOKENS = reverse("accounts:tokens")
ME = "/api/v2/user/"


def basic(username: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()


def test_token_page_needs_sign_in(client, db):
    response = client.get(TOKENS)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_created_token_is_shown_once_and_stored_hashed(client, user):
    client.force_login(user)
    response = client.post(TOKENS, {"description": "laptop", "scope": "read_write"}, follow=True)

    page = response.content.decode()
    token = AccessToken.objects.get(user=user)
    raw = response.context["new_token"]["raw"]
    assert raw.startswith("whf_pat_") and raw in page
    assert "Copy your new token now" in page
    assert token.scope == "read_write" and token.description == "laptop"
    assert token.token_hash == AccessToken.hash(raw)
    assert raw not in {token.token_hash, token.token_start, token.description}

    again = client.get(TOKENS).content.decode()
    assert raw not in again
    assert "laptop" in again and token.token_start in again


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"description": "", "scope": "read"}, "description", "This field is required."),
        ({"description": "   ", "scope": "read"}, "description", "This field is required."),
        ({"description": "x", "scope": "admin"}, "scope", "Select a valid choice."),
        ({"description": "x" * 101, "scope": "read"}, "description", "at most 100 characters"),
    ],
)
def test_token_form_errors(client, user, data, field, message):
    client.force_login(user)
    response = client.post(TOKENS, data)
    assert message in " ".join(response.context["form"].errors[field])
    assert not AccessToken.objects.exists()


def test_token_description_must_be_unique_among_active_tokens(client, user):
    make_token(user, description="ci")
    client.force_login(user)
    response = client.post(TOKENS, {"description": "CI", "scope": "read"})
    assert "You already have an active token with this description." in response.content.decode()


def test_bearer_token_authenticates_the_api_and_records_last_use(user):
    token, raw = make_token(user, scope="read")
    assert token.last_used_at is None

    response = APIClient().get(ME, HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 200
    assert response.json()["username"] == user.username
    assert response.json()["token_scope"] == "read"
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_basic_auth_with_username_and_token_authenticates_the_api(user):
    _, raw = make_token(user)
    response = APIClient().get(ME, HTTP_AUTHORIZATION=basic(user.username, raw))
    assert response.status_code == 200
    assert response.json()["username"] == user.username


def test_basic_auth_with_another_users_name_says_whose_token_it_is(user, other_user):
    _, raw = make_token(user)
    response = APIClient().get(ME, HTTP_AUTHORIZATION=basic(other_user.username, raw))
    assert response.status_code == 401
    assert response.json()["detail"] == (
        "This token belongs to another account; use that account's username."
    )


def test_basic_auth_with_a_revoked_token_says_it_is_invalid(user):
    token, raw = make_token(user)
    access_token_revoke(token=token)
    response = APIClient().get(ME, HTTP_AUTHORIZATION=basic(user.username, raw))
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid, expired or revoked access token."


def test_basic_auth_with_a_password_asks_for_a_token(user):
    response = APIClient().get(ME, HTTP_AUTHORIZATION=basic(user.username, PASSWORD))
    assert response.status_code == 401
    assert "Use a personal access token (Settings → Access tokens)" in response.json()["detail"]


@pytest.mark.parametrize(
    "header",
    ["Bearer whf_pat_notarealtoken", "Bearer ", "Bearer a b", "Basic !!!", "Basic " + "Zm9v"],
)
def test_bad_credentials_get_401_with_a_message(db, header):
    response = APIClient().get(ME, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["detail"]


def test_anonymous_api_call_gets_401(db):
    response = APIClient().get(ME)
    assert response.status_code == 401
    assert response.json()["detail"] == "Authentication credentials were not provided."


def test_revoked_token_stops_working_at_once(client, user):
    token, raw = make_token(user)
    api = APIClient()
    assert api.get(ME, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200

    client.force_login(user)
    response = client.post(reverse("accounts:token_revoke", args=[token.uuid]), follow=True)

    assert "revoked. It no longer works." in response.content.decode()
    refused = api.get(ME, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert refused.status_code == 401
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Revoked" in client.get(TOKENS).content.decode()


def test_revoke_button_asks_for_confirmation(client, user):
    make_token(user, description="old ci")
    client.force_login(user)
    page = client.get(TOKENS).content.decode()
    assert 'data-confirm="Revoke “old ci”? Anything still using it stops working at once."' in page
    assert "/static/js/confirm." in page


def test_token_used_seconds_ago_shows_just_now(client, user):
    token, _ = make_token(user)
    AccessToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    client.force_login(user)
    page = client.get(TOKENS).content.decode()
    assert ">just now</time>" in page
    assert "0\xa0minutes" not in page


def test_token_used_hours_ago_shows_how_long_ago(client, user):
    token, _ = make_token(user)
    used = timezone.now() - timedelta(hours=2, minutes=5)
    AccessToken.objects.filter(pk=token.pk).update(last_used_at=used)
    client.force_login(user)
    page = client.get(TOKENS).content.decode()
    assert ">2\xa0hours, 5\xa0minutes ago</time>" in page


def test_token_of_a_deactivated_user_stops_working(user):
    _, raw = make_token(user)
    user.is_active = False
    user.save()
    assert APIClient().get(ME, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_cannot_revoke_someone_elses_token(client, user, other_user):
    token, _ = make_token(other_user)
    client.force_login(user)
    response = client.post(reverse("accounts:token_revoke", args=[token.uuid]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


class _ScopedView(APIView):
    permission_classes = [TokenScopeAllows]

    def get(self, request):
        return self._ok()

    def post(self, request):
        return self._ok()

    def delete(self, request):
        return self._ok()

    def _ok(self):
        from rest_framework.response import Response

        return Response({"ok": True})


@pytest.mark.parametrize(
    ("scope", "method", "allowed"),
    [
        ("read", "get", True),
        ("read", "post", False),
        ("read", "delete", False),
        ("read_write", "post", True),
        ("read_write", "delete", False),
        ("read_write_delete", "delete", True),
    ],
)
def test_token_scope_limits_what_the_request_may_do(user, scope, method, allowed):
    _, raw = make_token(user, scope=scope)
    request = getattr(APIRequestFactory(), method)("/scoped/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = _ScopedView.as_view()(request)
    assert (response.status_code == 200) is allowed
    if not allowed:
        assert "cannot" in response.data["detail"]
