"""Personal access tokens with an expiry (30, 90 or 365 days, or none, as Docker Hub offers):
chosen on the tokens page, shown in its list, refused by the REST API once past."""

import base64
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AccessToken
from accounts.services import AccessTokenError, access_token_create
from audit.models import Event

TOKENS = reverse("accounts:tokens")
ME = "/api/v2/user/"


def basic(username: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()


def _expire(token: AccessToken) -> None:
    AccessToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    token.refresh_from_db()


@pytest.mark.parametrize("days", ["30", "90", "365"])
def test_a_token_made_with_an_expiry_lasts_that_many_days(client, user, days):
    client.force_login(user)
    client.post(TOKENS, {"description": "ci", "scope": "read", "expires_in_days": days})
    token = AccessToken.objects.get(user=user)
    assert token.expires_at - token.created_at == timedelta(days=int(days))
    assert token.is_active


def test_a_token_made_without_an_expiry_works_until_revoked(client, user):
    client.force_login(user)
    client.post(TOKENS, {"description": "ci", "scope": "read", "expires_in_days": ""})
    assert AccessToken.objects.get(user=user).expires_at is None


def test_the_form_offers_none_30_90_and_365_days_with_none_first(client, user):
    client.force_login(user)
    form = client.get(TOKENS).context["form"]
    assert list(form.fields["expires_in_days"].choices) == [
        ("", "None"), ("30", "30 days"), ("90", "90 days"), ("365", "365 days"),
    ]  # fmt: skip
    assert form["expires_in_days"].value() == ""


def test_an_expiry_not_offered_is_refused_with_a_message(client, user):
    client.force_login(user)
    response = client.post(TOKENS, {"description": "ci", "scope": "read", "expires_in_days": "7"})
    assert "Select a valid choice." in " ".join(response.context["form"].errors["expires_in_days"])
    assert not AccessToken.objects.exists()
    with pytest.raises(AccessTokenError, match=r"^Expiration is 30, 90 or 365 days, or none\.$"):
        access_token_create(user=user, description="ci", scope="read", expires_in_days=7)


def test_the_list_shows_each_tokens_expiry_and_marks_expired_ones(client, user):
    access_token_create(user=user, description="laptop", scope="read")
    soon, _ = access_token_create(user=user, description="ci", scope="read", expires_in_days=30)
    gone, _ = access_token_create(user=user, description="old", scope="read", expires_in_days=30)
    _expire(gone)
    client.force_login(user)
    page = client.get(TOKENS).content.decode()
    assert '<th class="hide-narrow">Expires</th>' in page
    date = soon.expires_at.strftime("%b %-d, %Y")
    time = f'<time datetime="{soon.expires_at.isoformat()}">{date}</time>'
    assert f'<td class="hide-narrow">{time}</td>' in page
    assert f'<span class="token-expiry-narrow">Expires {time}</span>' in page  # on phones
    assert '<td class="hide-narrow">Never</td>' in page  # laptop's
    assert '<span class="token-expiry-narrow">Expired <time' in page  # old's
    assert '<tr class="revoked expired">' in page and '<span class="badge">Expired</span>' in page
    assert page.count('aria-label="Revoke') == 2  # not the expired one: it works no more


def test_the_created_event_records_the_expiry(user):
    token, _ = access_token_create(user=user, description="ci", scope="read", expires_in_days=90)
    event = Event.objects.get(action="token.created")
    assert event.data["expires_at"] == token.expires_at.isoformat()


def test_an_expired_tokens_description_may_be_used_again(client, user):
    old, _ = access_token_create(user=user, description="ci", scope="read", expires_in_days=30)
    _expire(old)
    client.force_login(user)
    client.post(TOKENS, {"description": "ci", "scope": "read"})
    assert AccessToken.objects.filter(user=user, description="ci").count() == 2


@pytest.mark.parametrize("scheme", ["bearer", "basic"])
def test_the_api_refuses_an_expired_token_saying_when_it_expired(user, scheme):
    token, raw = access_token_create(user=user, description="ci", scope="read", expires_in_days=30)
    _expire(token)
    header = f"Bearer {raw}" if scheme == "bearer" else basic(user.username, raw)
    response = APIClient().get(ME, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["detail"] == (
        f"This access token (“ci”) expired on {token.expires_at:%Y-%m-%d}; create a new one "
        "under Settings → Access tokens."
    )


def test_the_api_says_when_the_token_in_use_expires(user):
    token, raw = access_token_create(user=user, description="ci", scope="read", expires_in_days=90)
    body = APIClient().get(ME, HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert body["token_expires_at"] == token.expires_at.isoformat().replace("+00:00", "Z")
    _, forever = access_token_create(user=user, description="laptop", scope="read")
    assert (
        APIClient().get(ME, HTTP_AUTHORIZATION=f"Bearer {forever}").json()["token_expires_at"]
        is None
    )
