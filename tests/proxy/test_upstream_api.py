"""The upstreams REST API: staff list, add, read, edit and delete upstream registries; anyone
else gets a 401 or a 403; the password is never in an answer or in the schema's answers."""

import pytest
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from accounts.models import AccessToken
from hub.models import Namespace, Repository
from hub.services import repository_get_or_create
from proxy.models import Upstream
from tests.api.conftest import as_token, signed_in
from tests.factories import make_token
from tests.proxy.staff import (  # noqa: F401  (fixtures)
    DOCKERHUB,
    PASSWORD,
    dockerhub_fixture,
    someone_fixture,
    staff_fixture,
)

pytestmark = pytest.mark.django_db

API = "/api/v2/upstreams/"
ONE = API + "dockerhub/"
UPSTREAM_PATHS = {
    "/api/v2/upstreams/": {"get", "post"},
    "/api/v2/upstreams/{name}/": {"get", "patch", "delete"},
}
SHOWN = {"name", "url", "username", "namespace", "tls_verify", "is_mirror", "pull_access",
         "has_password", "created_at", "updated_at"}  # fmt: skip


def _no_password(response):
    text = response.content.decode()
    assert PASSWORD not in text and "fernet:" not in text and '"password"' not in text
    return response


@pytest.fixture
def staff_api(staff):
    return signed_in(staff)


def test_staff_add_an_upstream_and_its_password_is_stored_encrypted(staff_api):
    response = _no_password(staff_api.post(API, DOCKERHUB, format="json"))

    assert response.status_code == 201, response.json()
    shown = response.json()
    assert set(shown) == SHOWN
    assert {key: shown[key] for key in SHOWN - {"created_at", "updated_at"}} == {
        "name": "dockerhub",
        "url": "https://registry-1.docker.io",
        "username": "wharfbot",
        "namespace": "dockerhub",
        "tls_verify": True,
        "is_mirror": False,
        "pull_access": "signed_in",
        "has_password": True,
    }
    stored = Upstream.objects.get()
    assert stored.password_encrypted.startswith("fernet:")
    assert PASSWORD not in stored.password_encrypted and stored.password == PASSWORD
    assert Namespace.objects.get(name="dockerhub").kind == "proxy"


def test_an_upstream_is_listed_read_edited_and_deleted(dockerhub, staff_api):
    listed = _no_password(staff_api.get(API)).json()
    assert listed["count"] == 1 and listed["results"][0]["name"] == "dockerhub"
    assert _no_password(staff_api.get(ONE)).json()["url"] == "https://registry-1.docker.io"

    change = {"tls_verify": False, "is_mirror": True, "pull_access": "public"}
    edited = _no_password(staff_api.patch(ONE, change, format="json")).json()
    assert {key: edited[key] for key in change} == change
    assert edited["has_password"] is True  # left out: kept
    assert Upstream.objects.get().password == PASSWORD

    assert staff_api.delete(ONE).status_code == 204
    assert staff_api.get(ONE).status_code == 404
    assert not Namespace.objects.filter(name="dockerhub").exists()


def test_a_null_password_keeps_it_and_an_empty_one_removes_it(dockerhub, staff_api):
    kept = _no_password(staff_api.patch(ONE, {"password": None}, format="json")).json()
    assert kept["has_password"] is True and Upstream.objects.get().password == PASSWORD

    changed = staff_api.patch(ONE, {"password": "rotated-token"}, format="json")
    assert (
        PASSWORD not in changed.content.decode() and "rotated-token" not in changed.content.decode()
    )
    assert Upstream.objects.get().password == "rotated-token"

    removed = _no_password(staff_api.patch(ONE, {"password": ""}, format="json")).json()
    assert removed["has_password"] is False and Upstream.objects.get().password_encrypted == ""


def test_renaming_moves_the_upstream_to_its_new_url(dockerhub, staff_api):
    response = staff_api.patch(ONE, {"name": "docker-hub"}, format="json")

    assert response.status_code == 200 and response.json()["namespace"] == "dockerhub"
    assert staff_api.get(API + "docker-hub/").status_code == 200
    assert staff_api.get(ONE).status_code == 404


def test_deleting_takes_the_cached_repositories_along(dockerhub, staff_api):
    repository_get_or_create(namespace="dockerhub", name="library/nginx")

    assert staff_api.delete(ONE).status_code == 204

    assert not Repository.objects.filter(namespace__name="dockerhub").exists()


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({"url": "ftp://mirror.example"}, "url", "must start with https:// or http:// (not ftp:)"),
        ({"url": "https://registry.example/v2/"}, "url", "without a path (not /v2/)"),
        ({"url": "https://u:p@registry.example"}, "url", "Put no credentials in the URL"),
        ({"name": "Docker Hub"}, "name", "Use 1–40 characters"),
        ({"pull_access": "everyone"}, "pull_access", "is not a valid choice"),
        ({"namespace": "library"}, "namespace", "“library” is reserved"),
        ({"tls_verify": "maybe"}, "tls_verify", "Must be a valid boolean."),
    ],
)
def test_bad_input_is_refused_with_a_message_next_to_the_field(staff_api, body, field, message):
    response = _no_password(staff_api.post(API, {**DOCKERHUB, **body}, format="json"))

    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert not Upstream.objects.exists()


def test_an_unknown_field_is_refused(staff_api):
    response = staff_api.post(API, {**DOCKERHUB, "secret": "x"}, format="json")

    assert response.status_code == 400
    assert "Unknown fields: secret." in str(response.json())


def test_the_namespace_of_an_existing_user_is_refused(staff_api, someone):
    response = staff_api.post(API, {**DOCKERHUB, "namespace": "bobby"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"namespace": ["bobby is a user's namespace; choose another."]}


def test_the_namespace_cannot_be_changed(dockerhub, staff_api):
    response = staff_api.patch(ONE, {"namespace": "elsewhere"}, format="json")

    assert response.status_code == 400
    assert "The proxy namespace cannot change" in response.json()["namespace"][0]


def test_a_second_mirror_takes_over_from_the_first(dockerhub, staff_api):
    staff_api.patch(ONE, {"is_mirror": True}, format="json")
    quay = {"name": "quay", "url": "https://quay.io", "is_mirror": True}

    assert staff_api.post(API, quay, format="json").status_code == 201

    mirrors = [u["name"] for u in staff_api.get(API).json()["results"] if u["is_mirror"]]
    assert mirrors == ["quay"]


def test_an_unknown_upstream_is_a_404(staff_api):
    response = staff_api.get(API + "nothing/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No upstream 'nothing'."}


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("get", API, None),
        ("post", API, DOCKERHUB),
        ("get", ONE, None),
        ("patch", ONE, {"tls_verify": False}),
        ("delete", ONE, None),
    ],
)
def test_someone_not_staff_gets_a_403_and_no_password(dockerhub, someone, method, path, body):
    response = getattr(signed_in(someone), method)(path, body, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": "Only staff can see and change upstream registries."}
    _no_password(response)
    assert Upstream.objects.get().tls_verify is True


@pytest.mark.parametrize("method, path", [("get", API), ("post", API), ("get", ONE),
                                          ("patch", ONE), ("delete", ONE)])  # fmt: skip
def test_anonymous_callers_get_a_401(dockerhub, method, path):
    response = getattr(APIClient(), method)(path, {}, format="json")

    assert response.status_code == 401
    _no_password(response)
    assert Upstream.objects.exists()


def test_a_read_only_token_of_staff_reads_but_cannot_change(dockerhub, staff):
    _, raw = make_token(staff, scope=AccessToken.Scope.READ)
    api = as_token(raw)

    assert _no_password(api.get(ONE)).status_code == 200
    refused = api.patch(ONE, {"tls_verify": False}, format="json")
    assert refused.status_code == 403
    assert "cannot write" in refused.json()["detail"]
    assert api.delete(ONE).status_code == 403


def test_every_upstreams_endpoint_is_in_the_schema_without_the_password_in_answers(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    validate_schema(schema)
    for path, methods in UPSTREAM_PATHS.items():
        assert set(schema["paths"][path]) - {"parameters"} == methods, path
        for method in methods:
            operation = schema["paths"][path][method]
            assert operation["summary"], (method, path)
            assert any(code.startswith("2") for code in operation["responses"]), (method, path)
            assert {"401", "403"} <= set(operation["responses"]), (method, path)
    components = schema["components"]["schemas"]
    assert set(components["Upstream"]["properties"]) == SHOWN
    assert "password" in components["UpstreamInput"]["properties"]
    assert components["UpstreamInput"]["properties"]["password"]["writeOnly"] is True
    answers = [
        response
        for path in UPSTREAM_PATHS
        for method, operation in schema["paths"][path].items()
        if method != "parameters"
        for response in operation["responses"].values()
    ]
    assert "UpstreamInput" not in str(answers) and "Upstream" in str(answers)
