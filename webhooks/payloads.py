"""The JSON bodies webhooks send.

``push`` in Docker Hub's shape, so receivers written for Docker Hub work unchanged, with
Wharf's own ``digest``, ``media_type`` and ``platforms`` in ``push_data``. Every other event in
one envelope: ``{event, occurred_at, actor, repository, data, callback_url}``. Each body is built
once, when the event is recorded (a deleted repository is still there to describe), and stored
on the delivery as the exact text sent.
"""

import json
from datetime import UTC

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from hub.views.common import repository_url

CALLBACK_SALT = "wharf.webhooks.callback"


def callback_token(delivery_uuid) -> str:
    """The unguessable part of a delivery's callback URL (derived, so nothing is stored)."""
    return salted_hmac(CALLBACK_SALT, str(delivery_uuid), algorithm="sha256").hexdigest()


def callback_token_matches(delivery_uuid, token: str) -> bool:
    return constant_time_compare(callback_token(delivery_uuid), token or "")


def callback_url(delivery_uuid) -> str:
    path = reverse("api:webhook-callback", args=[delivery_uuid, callback_token(delivery_uuid)])
    return settings.WHARF_URL + path


def _timestamp(when) -> int:
    return int(when.timestamp())


def _iso(when) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def repository_docker_hub(repository) -> dict:
    """A repository as Docker Hub's webhook payload describes it."""
    return {
        "comment_count": 0,
        "date_created": _timestamp(repository.created_at),
        "description": repository.description,
        "dockerfile": "",
        "full_description": repository.full_description,
        "is_official": repository.is_official,
        "is_private": repository.is_private,
        "is_trusted": repository.is_automated,
        "name": repository.name,
        "namespace": repository.namespace.name,
        "owner": repository.namespace.name,
        "repo_name": repository.display_name,
        "repo_url": settings.WHARF_URL + repository_url(repository),
        "star_count": repository.star_count,
        "status": "Active",
    }


def repository_brief(repository, event=None) -> dict | None:
    """A repository in the envelope; from the event's names once the row is gone."""
    if repository is not None:
        return {
            "repo_name": repository.display_name,
            "namespace": repository.namespace.name,
            "name": repository.name,
            "is_private": repository.is_private,
            "is_official": repository.is_official,
            "repo_url": settings.WHARF_URL + repository_url(repository),
        }
    if event is not None and event.repository_name:
        namespace, _, name = event.repository_name.partition("/")
        return {"repo_name": event.repository_name, "namespace": namespace, "name": name}
    return None


def actor_of(event) -> dict:
    return {"name": event.actor_name, "kind": event.actor_kind}


def push_payload(event, repository, *, callback: str) -> dict:
    """Docker Hub's push payload, plus ``digest``, ``media_type`` and ``platforms``."""
    data = event.data or {}
    return {
        "callback_url": callback,
        "push_data": {
            "pushed_at": _timestamp(event.occurred_at),
            "pusher": event.actor_name or event.actor_kind,
            "tag": event.tag or data.get("tag", ""),
            "images": [],
            "digest": event.digest,
            "media_type": data.get("media_type", ""),
            "platforms": list(data.get("platforms", [])),
        },
        "repository": repository_docker_hub(repository),
    }


def envelope(
    *, action: str, occurred_at, actor: dict, repository: dict | None, data: dict, callback: str
) -> dict:
    return {
        "event": action,
        "occurred_at": _iso(occurred_at),
        "actor": actor,
        "repository": repository,
        "data": data,
        "callback_url": callback,
    }


def event_payload(event, repository, *, callback: str) -> dict:
    """What a webhook sends for ``event`` (an audit.Event), ``repository`` its row if any."""
    if event.action == "push" and repository is not None:
        return push_payload(event, repository, callback=callback)
    data = dict(event.data or {})
    if event.tag:
        data.setdefault("tag", event.tag)
    if event.digest:
        data.setdefault("digest", event.digest)
    return envelope(
        action=event.action,
        occurred_at=event.occurred_at,
        actor=actor_of(event),
        repository=repository_brief(repository, event),
        data=data,
        callback=callback,
    )


def ping_payload(webhook, *, user, callback: str) -> dict:
    """The Test button's body: the envelope, event ``ping``, describing the webhook."""
    repository = webhook.repository if webhook.repository_id else None
    return envelope(
        action="ping",
        occurred_at=timezone.now(),
        actor={"name": user.username, "kind": "user"} if user else {"name": "", "kind": "system"},
        repository=repository_brief(repository),
        data={
            "webhook": {
                "id": webhook.pk,
                "name": webhook.name,
                "events": webhook.events,
                "scope": webhook.scope,
                "target": webhook.target_name(),
            },
            "zen": "A test delivery: if you read this, the webhook reaches you.",
        },
        callback=callback,
    )


def encode(payload: dict) -> str:
    """The body's text: compact JSON, UTF-8 (what the signature covers, byte for byte)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def with_callback(body: str, callback: str) -> str:
    """``body`` (a stored payload) pointing at another delivery's callback URL."""
    payload = json.loads(body)
    if isinstance(payload, dict) and "callback_url" in payload:
        payload["callback_url"] = callback
    return encode(payload)
