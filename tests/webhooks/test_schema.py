"""Every webhooks endpoint is in the OpenAPI schema, summarised, with its errors."""

from drf_spectacular.validation import validate_schema

REPO = "/api/v2/repositories/{namespace}/{name}/webhooks"
NAMESPACE = "/api/v2/namespaces/{namespace}/webhooks"
WEBHOOK_PATHS = {
    **{
        path: methods
        for prefix in (REPO, NAMESPACE)
        for path, methods in {
            f"{prefix}/": {"get", "post"},
            f"{prefix}/{{webhook_id}}/": {"get", "patch", "delete"},
            f"{prefix}/{{webhook_id}}/deliveries/": {"get"},
            f"{prefix}/{{webhook_id}}/test/": {"post"},
            f"{prefix}/{{webhook_id}}/deliveries/{{delivery_id}}/redeliver/": {"post"},
        }.items()
    },
    "/api/v2/webhooks/callback/{delivery_uuid}/{token}/": {"post"},
}


def test_every_webhook_endpoint_is_described_in_the_schema(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    validate_schema(schema)
    for path, methods in WEBHOOK_PATHS.items():
        assert set(schema["paths"][path]) - {"parameters"} == methods, path
        for method in methods:
            operation = schema["paths"][path][method]
            assert operation["summary"], (method, path)
            assert any(code.startswith("2") for code in operation["responses"]), (method, path)
            assert any(code.startswith("4") for code in operation["responses"]), (method, path)
    webhook = schema["components"]["schemas"]["Webhook"]["properties"]
    assert "secret" not in webhook and "has_secret" in webhook
    assert "secret" in schema["components"]["schemas"]["WebhookInput"]["properties"]
    assert "StatusEnum" in schema["components"]["schemas"]  # the builds' name, left alone
