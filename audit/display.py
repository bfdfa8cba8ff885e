"""How an audit event reads to a person: the page's cells and the CSV's, from one place, so an
export says what the page said."""

import json

from django.urls import NoReverseMatch, reverse

from audit.models import Event
from hub.models import LIBRARY

Kind = Event.ActorKind
DIGEST_SHORT = len("sha256:") + 12
DETAILS_MAX = 300  # characters of details on the page; the CSV and the API carry them all


def actor_label(event: Event) -> str:
    """Who, as the log's Actor column says it (the IP address is a column of its own)."""
    name = event.actor_name
    if event.actor_kind == Kind.ANONYMOUS:
        return "anonymous"
    if event.actor_kind == Kind.BUILD:
        return f"build by {name}" if name else "build"
    if event.actor_kind == Kind.ROBOT:
        return f"{name} (robot)"
    if event.actor_kind == Kind.TOKEN:
        return f"{name} (token “{event.token_name}”)" if event.token_name else f"{name} (token)"
    if event.actor_kind == Kind.SYSTEM:
        return f"{name or 'wharf'} (system)"
    return name or event.actor_kind


def digest_short(digest: str) -> str:
    return digest[:DIGEST_SHORT]


def target_label(event: Event) -> str:
    """What it happened to: ``ns/name:tag``, ``ns/name@sha256:0123456789ab``, the repository,
    or else the namespace."""
    if event.repository_name:
        if event.tag:
            return f"{event.repository_name}:{event.tag}"
        if event.digest:
            return f"{event.repository_name}@{digest_short(event.digest)}"
        return event.repository_name
    return event.namespace


def target_url(event: Event) -> str:
    """The tag's page (the repository's for a deleted tag) while the repository exists; empty
    once it is gone."""
    if event.repository_id is None or "/" not in event.repository_name:
        return ""
    namespace, name = event.repository_name.split("/", 1)
    view, kwargs = "repository", {}
    if event.tag and event.action != "delete":
        view, kwargs = "repository-tag", {"tag": event.tag}
    try:
        if namespace == LIBRARY:
            return reverse(f"official-{view}", kwargs={"name": name, **kwargs})
        return reverse(view, kwargs={"namespace": namespace, "name": name, **kwargs})
    except NoReverseMatch:
        return ""


def _value(value) -> str:
    if isinstance(value, list):
        return " ".join(_value(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if value is None:
        return ""
    if isinstance(value, bool):  # as the API's JSON says it
        return "true" if value else "false"
    return str(value)


def details_text(event: Event) -> str:
    """The event's data as ``key=value, …`` in key order (PostgreSQL's jsonb keeps no other),
    empty values left out: compact enough for a table cell."""
    data = event.data if isinstance(event.data, dict) else {"data": event.data}
    parts = [
        f"{key}={_value(value)}"
        for key, value in sorted(data.items())
        if value not in ("", None, [])
    ]
    return ", ".join(parts)


def details_json(event: Event) -> dict:
    """The API's ``details``: the data as recorded, with the token's name."""
    data = event.data if isinstance(event.data, dict) else {"data": event.data}
    return {**data, "token_name": event.token_name or None}


def event_row(event: Event) -> dict:
    """One row of the page."""
    details = details_text(event)
    return {
        "id": event.pk,
        "occurred_at": event.occurred_at,
        "actor": actor_label(event),
        "actor_kind": event.actor_kind,
        "ip": event.ip or "",
        "action": event.action,
        "target": target_label(event),
        "target_url": target_url(event),
        "details": details if len(details) <= DETAILS_MAX else details[: DETAILS_MAX - 1] + "…",
        "details_full": details,
    }
