"""The token endpoint and the JWTs the registry accepts."""

import time

import jwt
import pytest

from accounts.services import access_token_revoke
from hub.registry import tokens
from hub.services import repository_get_or_create
from tests.factories import PASSWORD, UserFactory, make_token
from tests.registry.conftest import basic

# Tokens only: no blob is stored, so once on one store is enough.
pytestmark = [pytest.mark.django_db, pytest.mark.store_independent]


@pytest.fixture(autouse=True)
def _url(settings):
    settings.WHARF_URL = "http://testserver"


def test_scopes_parse_names_with_ports_lists_and_wildcards():
    scopes = tokens.parse_scopes(
        [
            "repository:localhost:5000/alice/web:pull,push repository(plugin):bob/x:pull",
            "registry:catalog:*",
            "nonsense",
            "repository:alice/db:*",
        ]
    )
    assert [(s.type, s.name, s.actions) for s in scopes] == [
        ("repository", "localhost:5000/alice/web", ("pull", "push")),
        ("repository", "bob/x", ("pull",)),
        ("registry", "catalog", ("*",)),
        ("repository", "alice/db", ("*",)),
    ]


def access_of(client, query: str, auth: str | None = None) -> list[dict]:
    headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
    response = client.get(f"/token?service=testserver&{query}", **headers)
    assert response.status_code == 200, response.content
    return tokens.verify(response.json()["token"]).access


def test_token_response_has_the_fields_clients_read(client):
    body = client.get("/token?service=testserver").json()
    assert body["token"] == body["access_token"]
    assert body["expires_in"] >= 60
    assert time.strptime(body["issued_at"], "%Y-%m-%dT%H:%M:%SZ")
    claims = jwt.decode(body["token"], options={"verify_signature": False})
    assert set(claims) >= {"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "access"}
    assert claims["sub"] == "" and claims["aud"] == "testserver"


def test_owner_gets_everything_asked_in_their_namespace(client):
    user = UserFactory()
    access = access_of(
        client,
        f"scope=repository:{user.username}/web:pull,push,delete",
        basic(user.username, PASSWORD),
    )
    assert access == {("repository", f"{user.username}/web"): {"pull", "push", "delete"}}


def test_grant_is_the_intersection_never_an_error(client):
    user, other = UserFactory(), UserFactory()
    repository_get_or_create(namespace=other.username, name="pub")
    access = access_of(
        client,
        f"scope=repository:{other.username}/pub:pull,push&scope=repository:library/x:push"
        f"&scope=repository:{other.username}/missing:pull",
        basic(user.username, PASSWORD),
    )
    assert access[("repository", f"{other.username}/pub")] == {"pull"}
    assert access[("repository", "library/x")] == set()
    assert access[("repository", f"{other.username}/missing")] == set()


def test_anonymous_gets_pull_on_public_repositories_only(client):
    owner = UserFactory()
    repository_get_or_create(namespace=owner.username, name="pub")
    private = repository_get_or_create(namespace=owner.username, name="priv")
    private.is_private = True
    private.save()
    access = access_of(
        client,
        f"scope=repository:{owner.username}/pub:pull,push"
        f"&scope=repository:{owner.username}/priv:pull",
    )
    assert access[("repository", f"{owner.username}/pub")] == {"pull"}
    assert access[("repository", f"{owner.username}/priv")] == set()


def test_access_token_scope_limits_the_grant(client):
    user = UserFactory()
    _, raw = make_token(user, scope="read")
    access = access_of(
        client, f"scope=repository:{user.username}/web:pull,push", basic(user.username, raw)
    )
    assert access[("repository", f"{user.username}/web")] == {"pull"}


def test_bad_credentials_are_401_with_a_challenge(client):
    user = UserFactory()
    response = client.get("/token", HTTP_AUTHORIZATION=basic(user.username, "wrong-password"))
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "incorrect username, password or access token"
    assert response["WWW-Authenticate"].startswith('Bearer realm="http://testserver/token"')


def test_account_parameter_must_match(client):
    user = UserFactory()
    response = client.get(
        "/token?account=someoneelse", HTTP_AUTHORIZATION=basic(user.username, PASSWORD)
    )
    assert response.status_code == 401


def test_oauth2_password_grant_by_post(client):
    user = UserFactory()
    response = client.post(
        "/token",
        {
            "grant_type": "password",
            "username": user.username,
            "password": PASSWORD,
            "service": "testserver",
            "scope": f"repository:{user.username}/a:pull",
        },
    )
    assert response.status_code == 200
    assert tokens.verify(response.json()["token"]).subject == user.username


def test_refresh_token_grant_is_unsupported(client):
    response = client.post("/token", {"grant_type": "refresh_token", "refresh_token": "x"})
    assert response.status_code == 405
    assert response.json()["errors"][0]["code"] == "UNSUPPORTED"


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_tampered_or_foreign_tokens_are_refused(client, settings):
    user = UserFactory()
    good = client.get("/token", HTTP_AUTHORIZATION=basic(user.username, PASSWORD)).json()["token"]
    assert client.get("/v2/", **bearer(good)).status_code == 200
    header, payload, signature = good.split(".")
    assert client.get("/v2/", **bearer(f"{header}.{payload}.{signature[::-1]}")).status_code == 401
    now = int(time.time())
    claims = {
        "iss": "testserver",
        "sub": user.username,
        "aud": "testserver",
        "iat": now,
        "nbf": now,
        "jti": "x",
        "access": [],
    }
    expired = jwt.encode({**claims, "exp": now - 60}, tokens._key(), algorithm="HS256")
    other_audience = jwt.encode(
        {**claims, "exp": now + 60, "aud": "elsewhere"}, tokens._key(), algorithm="HS256"
    )
    wrong_key = jwt.encode({**claims, "exp": now + 60}, "not-our-key-" * 4, algorithm="HS256")
    for token in (expired, other_audience, wrong_key):
        response = client.get("/v2/", **bearer(token))
        assert response.status_code == 401
        assert response.json()["errors"][0]["message"].startswith("invalid or expired token")


def test_revoking_the_access_token_stops_its_registry_tokens_at_once(client):
    user = UserFactory()
    pat, raw = make_token(user, scope="read_write")
    token = client.get("/token", HTTP_AUTHORIZATION=basic(user.username, raw)).json()["token"]
    assert client.get("/v2/", **bearer(token)).status_code == 200

    access_token_revoke(token=pat)

    response = client.get("/v2/", **bearer(token))
    assert response.status_code == 401
    assert "revoked" in response.json()["errors"][0]["message"]


def test_deactivated_account_tokens_stop_working(client):
    user = UserFactory()
    token = client.get("/token", HTTP_AUTHORIZATION=basic(user.username, PASSWORD)).json()["token"]
    user.is_active = False
    user.save()
    assert client.get("/v2/", **bearer(token)).status_code == 401


def test_basic_auth_straight_to_v2_works_like_curl_expects(client):
    user = UserFactory()
    _, raw = make_token(user, scope="read")
    assert client.get("/v2/", HTTP_AUTHORIZATION=basic(user.username, raw)).status_code == 200
    response = client.post(
        f"/v2/{user.username}/x/blobs/uploads/", HTTP_AUTHORIZATION=basic(user.username, raw)
    )
    assert response.status_code == 403
    assert "Read-only" in response.json()["errors"][0]["message"]
