"""A real push, delivered: skopeo pushes into a live Wharf, a real Celery worker POSTs the
signed payload to a receiver on 127.0.0.1 that answers 500 twice, then 200."""

import json

import pytest

from hub.services import repository_create
from tests.registry.conftest import make_image
from tests.webhooks.conftest import SECRET, wait_until
from webhooks.models import Delivery
from webhooks.services import webhook_create

pytestmark = pytest.mark.integration

DOCKER_HUB_REPOSITORY_KEYS = {
    "repo_name", "namespace", "name", "description", "is_private", "is_official", "star_count",
    "repo_url", "status", "date_created", "owner", "comment_count", "dockerfile",
    "full_description", "is_trusted",
}  # fmt: skip


def _push(clients, user, raw, tmp_path, repository="web", tag="v1"):
    image = make_image(tmp_path / f"image-{repository}-{tag}", layers=1, tag=tag)
    clients.login(user.username, raw)
    clients.skopeo(
        "copy",
        "--dest-tls-verify=false",
        f"oci:{image}:{tag}",
        f"docker://{clients.host}/{user.username}/{repository}:{tag}",
    )


def test_a_push_is_signed_retried_twice_and_the_history_shows_three_attempts(
    registry, clients, owner, receiver, allow_private, fast_retries, celery_worker, tmp_path
):
    user, raw = owner
    repo = repository_create(user=user, namespace=user.username, name="web")
    hook = receiver(500, 500)
    webhook = webhook_create(
        repository=repo, name="ci", url=hook.url, events=["push"], secret=SECRET, by=user
    )

    _push(clients, user, raw, tmp_path)

    requests = hook.wait_for(3)
    assert all(r.signature_valid(SECRET) for r in requests)
    assert not requests[0].signature_valid("another secret")
    assert {r.headers["x-wharf-delivery"] for r in requests} == {
        requests[0].headers["x-wharf-delivery"]
    }
    assert {r.headers["x-wharf-event"] for r in requests} == {"push"}
    assert requests[0].headers["user-agent"] == "Wharf-Hookshot/1"
    assert requests[0].headers["content-type"] == "application/json"
    assert requests[0].body == requests[2].body  # a retry sends the same bytes
    payload = requests[0].json
    assert payload["push_data"]["tag"] == "v1"
    assert payload["push_data"]["pusher"] == user.username
    assert payload["push_data"]["digest"].startswith("sha256:")
    assert payload["push_data"]["platforms"] == ["linux/amd64"]
    assert payload["push_data"]["media_type"].startswith("application/vnd.oci.image.manifest")
    assert DOCKER_HUB_REPOSITORY_KEYS <= set(payload["repository"])
    assert payload["repository"]["repo_name"] == f"{user.username}/web"
    assert payload["callback_url"].startswith(registry.url + "/api/v2/webhooks/callback/")

    delivery = wait_until(
        lambda: Delivery.objects.filter(webhook=webhook, status="success").first(),
        what="the delivery to succeed",
    )
    status, _, body = registry.http.json(
        "GET",
        f"/api/v2/repositories/{user.username}/web/webhooks/{webhook.pk}/deliveries/",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert status == 200
    [shown] = body["results"]
    assert shown["uuid"] == requests[0].headers["x-wharf-delivery"] == str(delivery.uuid)
    assert shown["status"] == "success" and shown["response_code"] == 200
    assert [a["response_code"] for a in shown["attempts"]] == [500, 500, 200]
    assert [a["number"] for a in shown["attempts"]] == [1, 2, 3]
    assert shown["payload"].encode() == requests[0].body


def test_redeliver_sends_the_event_again_as_a_new_signed_delivery(
    registry, clients, owner, receiver, allow_private, fast_retries, celery_worker, tmp_path
):
    user, raw = owner
    repo = repository_create(user=user, namespace=user.username, name="web")
    hook = receiver()
    webhook = webhook_create(
        repository=repo, name="ci", url=hook.url, events=["push"], secret=SECRET, by=user
    )
    _push(clients, user, raw, tmp_path)
    [first] = hook.wait_for(1)
    original = wait_until(lambda: Delivery.objects.filter(status="success").first())

    status, _, body = registry.http.json(
        "POST",
        f"/api/v2/repositories/{user.username}/web/webhooks/{webhook.pk}"
        f"/deliveries/{original.pk}/redeliver/",
        headers={"Authorization": f"Bearer {raw}"},
    )

    assert status == 202, body
    assert body["redelivery_of"] == original.pk and body["event"] == "push"
    _, again = hook.wait_for(2)
    assert again.signature_valid(SECRET)
    assert again.headers["x-wharf-delivery"] == body["uuid"] != first.headers["x-wharf-delivery"]
    resent, sent = again.json, first.json
    assert resent["callback_url"] != sent["callback_url"]  # the new delivery's own
    assert {**resent, "callback_url": None} == {**sent, "callback_url": None}
    wait_until(lambda: Delivery.objects.get(pk=body["id"]).status == "success")


def test_a_namespace_webhook_hears_a_first_push_create_the_repository(
    registry, clients, owner, receiver, allow_private, fast_retries, celery_worker, tmp_path
):
    user, raw = owner
    from hub.services import namespace_for_user

    hook = receiver()
    webhook_create(
        namespace=namespace_for_user(user=user),
        name="all",
        url=hook.url,
        events=["push", "repository.created"],
        by=user,
    )

    _push(clients, user, raw, tmp_path, repository="brand-new", tag="1.0")

    received = hook.wait_for(2)
    by_event = {r.headers["x-wharf-event"]: r for r in received}
    assert set(by_event) == {"repository.created", "push"}
    assert "x-wharf-signature-256" not in by_event["push"].headers  # no secret, no signature
    created = json.loads(by_event["repository.created"].body)
    assert created["event"] == "repository.created"
    assert created["repository"]["repo_name"] == f"{user.username}/brand-new"
    assert by_event["push"].json["push_data"]["tag"] == "1.0"
