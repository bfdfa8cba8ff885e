import re

from drf_spectacular.validation import validate_schema

from tests.audit.test_api import AUDIT_PATHS
from tests.builds.api.test_settings import BUILD_PATHS
from tests.orgs.api.test_schema import ORG_PATHS
from tests.proxy.test_upstream_api import UPSTREAM_PATHS
from tests.webhooks.test_schema import WEBHOOK_PATHS

PATHS = {
    "/api/v2/users/login": {"post"},
    "/api/v2/user/": {"get"},
    "/api/v2/users/{username}/starred/": {"get"},
    "/api/v2/repositories/{namespace}/": {"get", "post"},
    "/api/v2/repositories/{namespace}/{name}/": {"get", "patch", "delete"},
    "/api/v2/repositories/{namespace}/{name}/tags/": {"get", "post"},
    "/api/v2/repositories/{namespace}/{name}/tags/{tag}/": {"get", "delete"},
    "/api/v2/repositories/{namespace}/{name}/stars/": {"post", "delete"},
    "/api/v2/search/repositories/": {"get"},
    **BUILD_PATHS,
    **ORG_PATHS,
    **AUDIT_PATHS,
    **WEBHOOK_PATHS,
    **UPSTREAM_PATHS,
}


def test_schema_is_valid_openapi_with_every_endpoint_described(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    assert {path: set(ops) - {"parameters"} for path, ops in schema["paths"].items()} == PATHS
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
            assert any(code.startswith("2") for code in operation["responses"])
            assert any(code.startswith("4") for code in operation["responses"]), (method, path)


def test_schema_describes_both_kinds_of_credentials(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["bearerAuth"]["description"],
    }
    assert "whf_pat_" in schemes["bearerAuth"]["description"]
    assert schemes["basicAuth"]["scheme"] == "basic"


def test_list_responses_are_paginated_in_the_schema(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    listing = schema["components"]["schemas"]["PaginatedTagList"]
    assert set(listing["properties"]) == {"count", "next", "previous", "results"}
    tag = schema["components"]["schemas"]["Tag"]["properties"]
    assert {"name", "full_size", "last_updated", "tag_last_pushed", "digest", "images"} <= set(tag)


def test_swagger_ui_loads_its_assets_from_this_server(client, db):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any("/static/drf_spectacular_sidecar/swagger-ui-dist/" in a for a in assets)
    assert not [a for a in assets if a.startswith(("http://", "https://", "//"))]
    assert "cdn.jsdelivr.net" not in page and "unpkg.com" not in page
    assert "/api/schema/" in page
    script = next(a for a in assets if a.endswith(".js") and "swagger-ui-bundle" in a)
    asset = client.get(script)
    assert asset.status_code == 200
