"""The webhooks REST API: a repository's and a namespace's webhooks, their deliveries, Test and
Redeliver, and who may see or change them (the secret is never shown to anyone)."""

import pytest
from rest_framework.test import APIClient

from accounts.models import AccessToken
from orgs.services import member_add, org_create
from tests.api.conftest import as_token, signed_in
from tests.factories import UserFactory, make_token
from tests.webhooks.conftest import SECRET, record_push
from webhooks.models import Delivery, Webhook
from webhooks.services import webhook_create

pytestmark = pytest.mark.django_db

REPO_API = "/api/v2/repositories/alice"
NS_API = "/api/v2/namespaces"
NEW = {"name": "ci", "url": "https://ci.example.com/hook", "events": ["push"], "secret": SECRET}


def _no_secret(response):
    assert SECRET not in response.content.decode()
    return response


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def owner_api(alice):
    return signed_in(alice)


@pytest.fixture
def hook(app, alice):
    return webhook_create(repository=app, by=alice, **{**NEW, "events": ["push", "delete"]})


def test_an_admin_adds_a_webhook_and_its_secret_is_stored_encrypted_and_never_shown(app, owner_api):
    body = {**NEW, "events": ["push", "build.finished"]}
    response = _no_secret(owner_api.post(f"{REPO_API}/app/webhooks/", body, format="json"))

    assert response.status_code == 201, response.json()
    shown = response.json()
    assert shown["events"] == ["push", "build.success", "build.failed", "build.cancelled"]
    assert (shown["has_secret"], shown["active"], shown["scope"]) == (True, True, "repository")
    assert (shown["repository"], shown["namespace"], shown["created_by"]) == (
        "alice/app",
        "alice",
        "alice",
    )
    assert "secret" not in shown and shown["last_delivery"] is None
    stored = Webhook.objects.get()
    assert stored.secret.startswith("fernet:") and SECRET not in stored.secret
    assert stored.secret_value() == SECRET


def test_a_webhook_is_listed_read_edited_and_deleted(app, hook, owner_api):
    listed = _no_secret(owner_api.get(f"{REPO_API}/app/webhooks/")).json()
    assert listed["count"] == 1 and listed["results"][0]["name"] == "ci"
    url = f"{REPO_API}/app/webhooks/{hook.pk}/"
    assert _no_secret(owner_api.get(url)).json()["events"] == ["push", "delete"]

    kept = owner_api.patch(url, {"name": "deploy", "active": False}, format="json").json()
    assert (kept["name"], kept["active"], kept["has_secret"]) == ("deploy", False, True)
    removed = owner_api.patch(url, {"secret": ""}, format="json").json()
    assert (removed["has_secret"], removed["active"]) == (False, False)  # the rest is kept

    assert owner_api.delete(url).status_code == 204
    assert owner_api.get(url).status_code == 404


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"url": "ftp://ci.example.com/"}, "url", "must start with https:// or http://"),
        ({"url": "http://10.0.0.8/hook"}, "url", "private or reserved address"),
        ({"events": ["pull"]}, "events", "“pull” is not an event a webhook can send"),
        ({"events": []}, "events", "Choose at least one event"),
        ({"name": "  "}, "name", "may not be blank"),
    ],
)
def test_a_bad_webhook_is_refused_with_a_message_next_to_its_field(
    app, owner_api, change, field, message
):
    response = owner_api.post(f"{REPO_API}/app/webhooks/", {**NEW, **change}, format="json")

    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert not Webhook.objects.exists()


def test_an_unknown_field_is_refused(app, owner_api):
    response = owner_api.post(f"{REPO_API}/app/webhooks/", {**NEW, "event": "push"}, format="json")

    assert response.status_code == 400
    assert "Unknown fields: event" in str(response.json())


def test_test_queues_a_ping_that_the_deliveries_show(app, hook, owner_api):
    response = owner_api.post(f"{REPO_API}/app/webhooks/{hook.pk}/test/")

    assert response.status_code == 202
    ping = response.json()
    assert (ping["event"], ping["status"], ping["manual"], ping["attempts"]) == (
        "ping",
        "pending",
        True,
        [],
    )
    history = owner_api.get(f"{REPO_API}/app/webhooks/{hook.pk}/deliveries/").json()
    assert [d["uuid"] for d in history["results"]] == [ping["uuid"]]
    assert '"event":"ping"' in history["results"][0]["payload"]


def test_redeliver_makes_a_new_delivery_of_the_same_event(app, hook, owner_api):
    record_push(app)
    original = Delivery.objects.get()

    response = owner_api.post(
        f"{REPO_API}/app/webhooks/{hook.pk}/deliveries/{original.pk}/redeliver/"
    )

    assert response.status_code == 202
    again = response.json()
    assert (again["event"], again["redelivery_of"]) == ("push", original.pk)
    assert again["uuid"] != str(original.uuid)
    missing = owner_api.post(f"{REPO_API}/app/webhooks/{hook.pk}/deliveries/999999/redeliver/")
    assert missing.status_code == 404


def test_another_user_cannot_see_or_change_a_public_repositorys_webhooks(app, hook, other_user):
    record_push(app)
    delivery = Delivery.objects.get()
    them = signed_in(other_user)
    base = f"{REPO_API}/app/webhooks/"
    attempts = [
        them.get(base),
        them.post(base, NEW, format="json"),
        them.get(f"{base}{hook.pk}/"),
        them.patch(f"{base}{hook.pk}/", {"active": False}, format="json"),
        them.delete(f"{base}{hook.pk}/"),
        them.get(f"{base}{hook.pk}/deliveries/"),
        them.post(f"{base}{hook.pk}/test/"),
        them.post(f"{base}{hook.pk}/deliveries/{delivery.pk}/redeliver/"),
    ]

    for response in attempts:
        assert response.status_code == 403, response.request["PATH_INFO"]
        assert response.json()["detail"] == (
            "Only the repository's admins can see and change its webhooks."
        )
        _no_secret(response)
    assert Webhook.objects.get().active is True and Delivery.objects.count() == 1


def test_a_private_repositorys_webhooks_are_a_404_for_those_who_cannot_see_it(
    vault, alice, other_user, api
):
    hook = webhook_create(repository=vault, by=alice, **NEW)
    them = signed_in(other_user)

    for client in (them, api):
        assert client.get(f"{REPO_API}/vault/webhooks/").status_code == 404
        assert client.get(f"{REPO_API}/vault/webhooks/{hook.pk}/deliveries/").status_code == 404
        assert client.post(f"{REPO_API}/vault/webhooks/", NEW, format="json").status_code == 404


def test_anonymous_callers_are_asked_to_sign_in(app, hook, api):
    assert api.get(f"{REPO_API}/app/webhooks/").status_code == 401
    assert api.get(f"{NS_API}/alice/webhooks/").status_code == 401


def test_a_read_only_token_of_an_admin_reads_but_does_not_change(app, hook, alice):
    _, raw = make_token(alice, scope=AccessToken.Scope.READ)
    reader = as_token(raw)

    assert _no_secret(reader.get(f"{REPO_API}/app/webhooks/")).status_code == 200
    assert reader.post(f"{REPO_API}/app/webhooks/{hook.pk}/test/").status_code == 403


def test_a_webhook_of_another_repository_is_not_found_under_this_one(alice, app, vault, hook):
    owner_api = signed_in(alice)

    assert owner_api.get(f"{REPO_API}/vault/webhooks/{hook.pk}/").status_code == 404


def test_a_user_adds_webhooks_for_all_their_repositories(alice, owner_api, other_user):
    response = owner_api.post(f"{NS_API}/alice/webhooks/", NEW, format="json")

    assert response.status_code == 201, response.json()
    shown = response.json()
    assert (shown["scope"], shown["namespace"], shown["repository"]) == ("namespace", "alice", None)
    assert owner_api.get(f"{NS_API}/alice/webhooks/").json()["count"] == 1
    them = signed_in(other_user)
    assert them.get(f"{NS_API}/alice/webhooks/").status_code == 404
    assert them.post(f"{NS_API}/alice/webhooks/", NEW, format="json").status_code == 404
    assert them.get(f"{NS_API}/alice/webhooks/{shown['id']}/deliveries/").status_code == 404


def test_an_account_without_repositories_gets_its_namespace_with_its_first_webhook(db):
    newcomer = UserFactory(username="newcomer")
    api = signed_in(newcomer)

    assert api.get(f"{NS_API}/newcomer/webhooks/").json()["count"] == 0
    assert api.post(f"{NS_API}/newcomer/webhooks/", NEW, format="json").status_code == 201
    assert Webhook.objects.get().namespace.owner == newcomer


def test_an_organizations_owners_manage_its_webhooks_members_are_told_outsiders_see_nothing(
    alice, other_user
):
    org = org_create(user=alice, name="acme")
    member = UserFactory(username="mia")
    member_add(org=org, username="mia")

    created = signed_in(alice).post(f"{NS_API}/acme/webhooks/", NEW, format="json")
    assert created.status_code == 201
    as_member = signed_in(member).get(f"{NS_API}/acme/webhooks/")
    assert as_member.status_code == 403
    assert as_member.json()["detail"] == (
        "Only owners of acme can see and change the webhooks of all acme's repositories."
    )
    assert signed_in(other_user).get(f"{NS_API}/acme/webhooks/").status_code == 404
    assert signed_in(alice).get(f"{NS_API}/nobody/webhooks/").status_code == 404


def test_the_webhook_list_costs_the_same_queries_however_many_there_are(
    app, alice, owner_api, django_assert_num_queries
):
    for n in range(3):
        webhook_create(repository=app, by=alice, **{**NEW, "name": f"ci{n}"})
        record_push(app)
    Delivery.objects.update(status="success", response_code=200)

    # the API token's user, the repository, the count, the page (with each last delivery)
    with django_assert_num_queries(4):
        response = owner_api.get(f"{REPO_API}/app/webhooks/")
    assert [h["last_delivery"]["status"] for h in response.json()["results"]] == ["success"] * 3
