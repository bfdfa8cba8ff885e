ORG_PATHS = {
    "/api/v2/orgs/": {"get", "post"},
    "/api/v2/orgs/{org}/": {"get", "patch", "delete"},
    "/api/v2/orgs/{org}/members/": {"get", "post"},
    "/api/v2/orgs/{org}/members/{username}/": {"patch", "delete"},
    "/api/v2/orgs/{org}/groups/": {"get", "post"},
    "/api/v2/orgs/{org}/groups/{team}/": {"get", "patch", "delete"},
    "/api/v2/orgs/{org}/groups/{team}/members/": {"get", "post"},
    "/api/v2/orgs/{org}/groups/{team}/members/{username}/": {"delete"},
    "/api/v2/orgs/{org}/robots/": {"get", "post"},
    "/api/v2/orgs/{org}/robots/{name}/": {"delete"},
    "/api/v2/users/{username}/robots/": {"get", "post"},
    "/api/v2/users/{username}/robots/{name}/": {"delete"},
    "/api/v2/repositories/{namespace}/{name}/groups/": {"get", "post"},
    "/api/v2/repositories/{namespace}/{name}/groups/{team}/": {"patch", "delete"},
    "/api/v2/repositories/{namespace}/{name}/collaborators/": {"get", "post"},
    "/api/v2/repositories/{namespace}/{name}/collaborators/{username}/": {"patch", "delete"},
}


def test_every_organization_endpoint_is_described_in_the_schema(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    for path, methods in ORG_PATHS.items():
        assert set(schema["paths"][path]) - {"parameters"} == methods, path
        for method in methods:
            operation = schema["paths"][path][method]
            assert operation["summary"], (method, path)
            assert any(code.startswith("4") for code in operation["responses"]), (method, path)


def test_a_robots_secret_is_only_in_the_creating_answer(client, db):
    schemas = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()[
        "components"
    ]["schemas"]

    assert "secret" in schemas["RobotCreated"]["properties"]
    assert "secret" not in schemas["Robot"]["properties"]
    assert set(schemas["RobotCreate"]["properties"]) == {
        "name",
        "description",
        "repositories",
        "actions",
        "expires_in_days",
    }
