"""The audit log of real work: a skopeo push to the live server with an access token, a tag
deleted through the REST API, the repository made private on its Settings page and a token
revoked on the Access tokens page — each shown with who did it, to the owner only; the CSV the
live server streams has the page's rows."""

import csv
import io

import pytest

from accounts.authentication import api_token_issue
from accounts.models import AccessToken
from tests.audit.test_pages import main, rows_of
from tests.factories import UserFactory, make_token
from tests.registry.conftest import clients, make_image, registry  # noqa: F401  (fixtures)

pytestmark = pytest.mark.integration


def test_the_log_shows_a_push_a_tag_delete_a_visibility_change_and_a_revocation(
    client,
    clients,  # noqa: F811
    registry,  # noqa: F811
    tmp_path,
    settings,
):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the in-process client
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    _, laptop = make_token(alice, scope="read_write_delete", description="laptop")
    old_ci, _ = make_token(alice, scope="read", description="old ci")

    # A push with skopeo and the token "laptop": the registry records who pushed.
    image = make_image(tmp_path / "image", layers=1)
    clients.login("alice", laptop)
    target = f"docker://{clients.host}/alice/app:v1"
    clients.skopeo("copy", "--dest-tls-verify=false", f"oci:{image}:v1", target)

    # The tag deleted through the REST API, with the API token a script gets at login.
    status, _, body = registry.http.request(
        "DELETE",
        "/api/v2/repositories/alice/app/tags/v1/",
        headers={"Authorization": f"Bearer {api_token_issue(user=alice)}"},
    )
    assert status == 204, body

    # The repository made private, and the old token revoked, on their pages.
    client.force_login(alice)
    response = client.post(
        "/r/alice/app/settings/",
        {
            "settings-description": "",
            "settings-full_description": "",
            "settings-visibility": "private",
        },
    )
    assert response.status_code == 302
    response = client.post(f"/settings/tokens/{old_ci.uuid}/revoke/")
    assert response.status_code == 302
    assert AccessToken.objects.get(pk=old_ci.pk).revoked_at is not None

    page = client.get("/u/alice/-/activity/")
    rows = [row[1:5] for row in rows_of(main(page))]
    actors = {row[1]: row[0] for row in rows}  # action → actor (with the IP address)

    assert [row[1] for row in rows[:4]] == [
        "token.revoked",
        "repository.visibility",
        "delete",
        "push",
    ]
    assert actors["push"].startswith("alice (token “laptop”) 127.0.0.1")
    assert actors["delete"] == "alice 127.0.0.1"
    assert actors["repository.visibility"] == "alice 127.0.0.1"
    assert actors["token.revoked"] == "alice 127.0.0.1"
    details = {row[1]: row[3] for row in rows}
    assert details["repository.visibility"] == "is_private=true"
    assert "token=old ci" in details["token.revoked"]
    assert "platforms=linux/amd64" in details["push"]
    targets = {row[1]: row[2] for row in rows}
    assert targets["push"] == targets["delete"] == "alice/app:v1"

    # The repository's own log has its three; the token's revocation is the account's.
    repo_rows = rows_of(main(client.get("/r/alice/app/settings/activity/")))
    assert [row[2] for row in repo_rows][:3] == ["repository.visibility", "delete", "push"]

    # Bob reads neither log, on the pages or through the API: 404, as for no such thing.
    client.force_login(bob)
    assert client.get("/u/alice/-/activity/").status_code == 404
    assert client.get("/r/alice/app/settings/activity/").status_code == 404
    bob_api = {"Authorization": f"Bearer {api_token_issue(user=bob)}"}
    for path in ("namespaces/alice", "repositories/alice/app"):
        status, _, _ = registry.http.request("GET", f"/api/v2/{path}/audit-logs/", headers=bob_api)
        assert status == 404

    # The CSV, streamed by the live (ASGI) server: the page's rows, in its order.
    client.force_login(alice)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    status, headers, body = registry.http.request(
        "GET", "/u/alice/-/activity/?format=csv", headers={"Cookie": cookie}
    )
    assert status == 200
    assert headers["content-disposition"].startswith('attachment; filename="wharf-activity-alice-')
    exported = list(csv.DictReader(io.StringIO(body.decode())))
    shown = rows_of(main(client.get("/u/alice/-/activity/")))
    assert [[f"{r['actor']} {r['ip']}".strip(), r["action"], r["target"]] for r in exported] == [
        row[1:4] for row in shown
    ]
    pushed = next(r for r in exported if r["action"] == "push")
    assert (pushed["actor_kind"], pushed["token_name"]) == ("token", "laptop")
