"""``GET /api/v2/namespaces/{ns}/audit-logs/`` and ``…/repositories/{ns}/{name}/audit-logs/``:
the entries' shape, the filters, Docker Hub-style pages, errors a caller can act on."""

import datetime

import pytest
from django.utils import timezone

from hub.events import EventActor
from tests.api.conftest import signed_in
from tests.audit.conftest import as_user, push, record

pytestmark = pytest.mark.django_db

ALICE = "/api/v2/namespaces/alice/audit-logs/"
APP = "/api/v2/repositories/alice/app/audit-logs/"

AUDIT_PATHS = {
    "/api/v2/namespaces/{namespace}/audit-logs/": {"get"},
    "/api/v2/repositories/{namespace}/{name}/audit-logs/": {"get"},
}


@pytest.fixture
def as_alice(alice):
    return signed_in(alice)


def test_an_entry_says_who_did_what_with_which_token(as_alice, alice, app):
    event = record(
        "push",
        actor=as_user(alice, token_name="ci"),
        repository=app,
        tag="v1",
        digest="sha256:" + "0" * 64,
        data={
            "media_type": "application/vnd.oci.image.index.v1+json",
            "platforms": ["linux/amd64"],
        },
    )

    entry = as_alice.get(APP).json()["results"][0]

    assert entry == {
        "id": event.pk,
        "occurred_at": entry["occurred_at"],
        "actor": "alice",
        "actor_kind": "token",
        "ip": "203.0.113.7",
        "action": "push",
        "repository": "alice/app",
        "tag": "v1",
        "digest": "sha256:" + "0" * 64,
        "details": {
            "media_type": "application/vnd.oci.image.index.v1+json",
            "platforms": ["linux/amd64"],
            "token_name": "ci",
        },
    }
    assert datetime.datetime.fromisoformat(entry["occurred_at"]) == event.occurred_at


def test_anonymous_and_namespace_events_have_nulls_not_blanks(as_alice, alice):
    record(
        "login.failed",
        actor=EventActor(kind="anonymous", ip="192.0.2.1"),
        namespace="alice",
        data={"login": "alice"},
    )
    entry = as_alice.get(ALICE).json()["results"][0]
    assert (entry["actor"], entry["actor_kind"], entry["ip"]) == (None, "anonymous", "192.0.2.1")
    assert (entry["repository"], entry["tag"], entry["digest"]) == (None, "", "")
    assert entry["details"] == {"login": "alice", "token_name": None}


def test_the_filters_narrow_the_list(as_alice, alice, bob, app, site):
    old = push(app, "v1", alice, minutes_ago=3 * 24 * 60)
    theirs = push(site, "v2", bob)
    queued = record("build.queued", actor=as_user(alice), repository=app)
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    until = (timezone.now() - datetime.timedelta(days=2)).date().isoformat()

    def listed(path, **query):
        return [e["id"] for e in as_alice.get(path, query).json()["results"]]

    assert listed(ALICE, actor="bob") == [theirs.pk]
    assert listed(ALICE, action="build.") == [queued.pk]
    assert listed(ALICE, action="push", repository="site") == [theirs.pk]
    assert listed(ALICE, action="push", since=since) == [theirs.pk]
    assert listed(APP, action="push", until=until) == [old.pk]
    assert listed(APP, actor="bob") == []


@pytest.mark.parametrize(
    "query, field, message",
    [
        ({"since": "last week"}, "since", "Enter a date (2026-01-31) or a date and time"),
        ({"until": "2026-13-01"}, "until", "Enter a date (2026-01-31) or a date and time"),
        ({"since": "2026-02-01", "until": "2026-01-01"}, "until", "“since” must not be after"),
        ({"action": "shove"}, "action", '"shove" is not a valid choice.'),
        ({"actor": "x" * 151}, "actor", "Ensure this field has no more than 150 characters."),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_field(as_alice, alice, app, query, field, message):
    response = as_alice.get(ALICE, query)
    assert response.status_code == 400
    assert response.json()[field][0].startswith(message)
    assert as_alice.get(APP, query).status_code == 400


def test_pages_like_docker_hubs_lists_with_the_filters_kept(as_alice, alice, app):
    for i in range(30):
        record("pull", actor=as_user(alice), repository=app, tag=f"t{i}")

    first = as_alice.get(APP, {"action": "pull", "page_size": 10}).json()
    last = as_alice.get(APP, {"action": "pull", "page_size": 10, "page": 3}).json()

    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 30 and len(first["results"]) == 10
    assert first["previous"] is None
    assert "action=pull" in first["next"] and "page=2" in first["next"]
    assert last["next"] is None
    assert last["results"][-1]["tag"] == "t0"
    assert as_alice.get(APP).json()["results"][0]["action"] == "pull"  # 25 a page by default


@pytest.mark.parametrize("rows", [2, 40])
def test_the_lists_run_a_fixed_number_of_queries(
    as_alice, alice, app, rows, django_assert_num_queries
):
    for i in range(rows):
        push(app, f"v{i}", alice)
    # The API token's user; the namespace (or the repository); count; the page.
    with django_assert_num_queries(4):
        assert as_alice.get(ALICE).status_code == 200
    with django_assert_num_queries(4):
        assert as_alice.get(APP).status_code == 200


def test_both_endpoints_are_in_the_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path, methods in AUDIT_PATHS.items():
        operations = schema["paths"][path]
        assert set(operations) - {"parameters"} == methods
        get = operations["get"]
        assert get["summary"] and {"200", "400", "401", "404"} <= set(get["responses"])
        assert {p["name"] for p in get["parameters"]} >= {"actor", "action", "since", "until"}
    names = {p["name"] for p in schema["paths"][next(iter(AUDIT_PATHS))]["get"]["parameters"]}
    assert "repository" in names
    entry = schema["components"]["schemas"]["AuditLogEntry"]["properties"]
    assert set(entry) == {
        "id", "occurred_at", "actor", "actor_kind", "ip", "action", "repository", "tag",
        "digest", "details",
    }  # fmt: skip


@pytest.mark.parametrize(
    "query",
    [
        {"actor": "a\x00b"},
        {"since": "\x00"},
        {"until": "0001-01-01"},
        {"since": "9999-12-31T23:59:59-12:00"},
        {"repository": "../../etc"},
        {"page": "abc"},
        {"page_size": "-1"},
        {"action": ""},
    ],
)
def test_odd_input_is_answered_not_a_server_error(as_alice, alice, app, query):
    push(app, "v1", alice)
    for path in (ALICE, APP):
        assert as_alice.get(path, query).status_code in (200, 400, 404)
