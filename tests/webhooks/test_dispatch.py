"""From events to deliveries: who gets what, in which shape, and only once the change commits."""

import json

import pytest
from django.db import transaction

from hub.events import event_record
from hub.services import namespace_for_user, repository_create, repository_delete, repository_update
from tests.webhooks.conftest import record_push
from webhooks import payloads
from webhooks.dispatch import dispatch_on_commit
from webhooks.models import Delivery
from webhooks.services import webhook_create, webhook_update

pytestmark = pytest.mark.django_db

PUSH_DATA_KEYS = {"pushed_at", "pusher", "tag", "images", "digest", "media_type", "platforms"}
REPOSITORY_KEYS = {
    "comment_count", "date_created", "description", "dockerfile", "full_description",
    "is_official", "is_private", "is_trusted", "name", "namespace", "owner", "repo_name",
    "repo_url", "star_count", "status",
}  # fmt: skip
ENVELOPE_KEYS = {"event", "occurred_at", "actor", "repository", "data", "callback_url"}


def _hook(events, **target):
    return webhook_create(name="ci", url="https://ci.example.com/hook", events=events, **target)


def test_a_push_is_sent_in_docker_hubs_shape_with_wharfs_digest_and_platforms(alice, app, settings):
    settings.WHARF_URL = "https://hub.example.test"
    repository_update(repository=app, description="The app", full_description="# App")
    _hook(["push"], repository=app)

    event = record_push(app, tag="1.2", user=alice)

    delivery = Delivery.objects.get()
    payload = json.loads(delivery.payload)
    assert set(payload) == {"callback_url", "push_data", "repository"}
    assert set(payload["push_data"]) == PUSH_DATA_KEYS
    assert payload["push_data"] == {
        "pushed_at": int(event.occurred_at.timestamp()),
        "pusher": "alice",
        "tag": "1.2",
        "images": [],
        "digest": "sha256:" + "ab" * 32,
        "media_type": "application/vnd.oci.image.index.v1+json",
        "platforms": ["linux/amd64", "linux/arm64/v8"],
    }
    assert set(payload["repository"]) == REPOSITORY_KEYS
    repository = payload["repository"]
    assert (repository["repo_name"], repository["namespace"], repository["name"]) == (
        "alice/app",
        "alice",
        "app",
    )
    assert repository["repo_url"] == "https://hub.example.test/r/alice/app/"
    assert (repository["description"], repository["full_description"]) == ("The app", "# App")
    assert repository["is_private"] is False and repository["status"] == "Active"
    assert payload["callback_url"] == payloads.callback_url(delivery.uuid)
    assert (delivery.action, delivery.event_id, delivery.status) == ("push", event.pk, "pending")


def test_other_events_are_sent_in_one_envelope(alice, app):
    _hook(["repository.visibility", "delete"], repository=app)

    repository_update(repository=app, is_private=True)
    event_record(action="delete", repository=app, tag="old", digest="sha256:" + "cd" * 32,
                 data={"kind": "tag"})  # fmt: skip

    visibility, delete = (
        json.loads(d.payload) for d in Delivery.objects.order_by("created_at", "id")
    )
    assert set(visibility) == ENVELOPE_KEYS == set(delete)
    assert visibility["event"] == "repository.visibility"
    assert visibility["data"] == {"is_private": True}
    assert visibility["repository"]["repo_name"] == "alice/app"
    assert visibility["repository"]["is_private"] is True
    assert visibility["occurred_at"].endswith("Z")
    assert delete["event"] == "delete"
    assert delete["data"] == {"kind": "tag", "tag": "old", "digest": "sha256:" + "cd" * 32}
    assert delete["actor"] == {"name": "wharf", "kind": "system"}


def test_only_active_webhooks_subscribed_to_the_action_get_a_delivery(alice, app, vault):
    wanted = _hook(["push"], repository=app)
    _hook(["delete"], repository=app)
    webhook_update(webhook=_hook(["push"], repository=app), active=False)
    _hook(["push"], repository=vault)
    everything = _hook(["*"], namespace=namespace_for_user(user=alice))

    record_push(app)

    assert {d.webhook_id for d in Delivery.objects.all()} == {wanted.pk, everything.pk}


def test_a_namespace_webhook_hears_a_repository_deleted_after_its_own_webhooks_are_gone(alice):
    doomed = repository_create(user=alice, namespace="alice", name="doomed", is_private=True)
    _hook(["repository.deleted"], repository=doomed)
    namespace_hook = _hook(["repository.deleted"], namespace=namespace_for_user(user=alice))

    repository_delete(repository=doomed)

    [delivery] = Delivery.objects.all()
    assert delivery.webhook_id == namespace_hook.pk
    payload = json.loads(delivery.payload)
    assert payload["event"] == "repository.deleted"
    assert payload["repository"]["repo_name"] == "alice/doomed"
    assert payload["repository"]["is_private"] is True


def test_nothing_is_sent_when_the_change_rolls_back(app, django_capture_on_commit_callbacks):
    _hook(["push"], repository=app)

    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            record_push(app)
            raise RuntimeError("the push failed after the event")

    assert not Delivery.objects.exists()
    assert callbacks == []


def test_deliveries_are_queued_once_the_change_has_committed(
    app, django_capture_on_commit_callbacks
):
    _hook(["push"], repository=app)

    with django_capture_on_commit_callbacks() as callbacks:
        record_push(app)

    assert len(callbacks) == 1 and Delivery.objects.count() == 1


def test_an_event_no_webhook_wants_costs_one_query(app, django_assert_num_queries):
    _hook(["delete"], repository=app)
    event = record_push(app)

    with django_assert_num_queries(1):
        assert dispatch_on_commit(event) == []


def test_each_delivery_has_its_own_unguessable_callback_url(app):
    _hook(["push"], repository=app)
    _hook(["push"], repository=app)

    record_push(app)

    first, second = Delivery.objects.all()
    urls = {json.loads(d.payload)["callback_url"] for d in (first, second)}
    assert len(urls) == 2
    for delivery in (first, second):
        token = payloads.callback_token(delivery.uuid)
        assert len(token) == 64
        assert payloads.callback_token_matches(delivery.uuid, token)
        wrong = token[:-1] + ("1" if token.endswith("0") else "0")
        assert not payloads.callback_token_matches(delivery.uuid, wrong)
