"""Build trigger webhooks: who may call them, and which ref a push names.

A repository's trigger URL (``POST /api/build-triggers/<uuid>/``) takes no account: the secret
proves the caller. Git hosts offer it in different ways (a token in a header or the query, or an
HMAC of the body), and describe a push in different shapes; this module turns all of them into
one ``Push``. Pure functions: the API view looks the trigger up and queues the builds.
"""

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qs

SKIP_MARKERS = ("[skip build]", "[ci skip]")
ZERO_SHA = re.compile(r"^0+$")

# Headers that carry the secret itself, and headers that carry an HMAC-SHA256 of the body.
TOKEN_HEADERS = ("X-Wharf-Token", "X-Gitlab-Token")
SIGNATURE_HEADERS = {
    "X-Hub-Signature-256": "sha256=",
    "X-Gitea-Signature": "",
    "X-Gogs-Signature": "",
}
# The event each host names in a header; only pushes start builds.
EVENT_HEADERS = ("X-GitHub-Event", "X-Gitea-Event", "X-Gogs-Event", "X-Gitlab-Event")
PUSH_EVENTS = {"push", "push hook", "tag push hook"}


class PayloadError(ValueError):
    """The body cannot be read as a push: a 400 with this message."""


class Ignored(Exception):  # noqa: N818  (not an error: a push that builds nothing, said why)
    """A well-formed call that asks for nothing to build (a ping, a deleted branch…)."""


@dataclass(frozen=True)
class Push:
    source_type: str  # "branch" or "tag"
    ref: str
    commit: str = ""
    message: str = ""

    @property
    def skip_marker(self) -> str | None:
        """The marker in the commit message that asks not to build, if any."""
        message = self.message.lower()
        return next((marker for marker in SKIP_MARKERS if marker in message), None)


def secret_presented(headers, query) -> bool:
    """Whether the caller offered the secret in any of the ways we accept."""
    names = (*TOKEN_HEADERS, *SIGNATURE_HEADERS)
    return bool(query.get("token")) or any(headers.get(name) for name in names)


def secret_matches(secret: str, body: bytes, headers, query) -> bool:
    """True when any offered token equals the secret or any signature is the body's HMAC.

    Every comparison is constant-time, so timing tells an attacker nothing about the secret.
    """
    if not secret:
        return False
    expected = secret.encode()
    for token in (query.get("token"), *(headers.get(name) for name in TOKEN_HEADERS)):
        if token and hmac.compare_digest(token.encode("utf-8", "replace"), expected):
            return True
    digest = hmac.new(expected, body, hashlib.sha256).hexdigest().encode()
    for name, prefix in SIGNATURE_HEADERS.items():
        signature = (headers.get(name) or "").strip()
        if signature.lower().startswith(prefix):
            offered = signature[len(prefix) :].lower().encode("utf-8", "replace")
            if hmac.compare_digest(offered, digest):
                return True
    return False


def parse_body(body: bytes, content_type: str) -> dict:
    """The payload as a dict: JSON, or a form (GitHub's form-encoded ``payload=…`` included)."""
    if not body.strip():
        return {}
    try:
        if content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
            if "payload" not in form:
                return {key: values[-1] for key, values in form.items()}
            data = json.loads(form["payload"][-1])
        else:
            data = json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise PayloadError(f"The body is not valid JSON ({exc}).") from None
    if not isinstance(data, dict):
        raise PayloadError('The body must be a JSON object such as {"ref": "main"}.')
    return data


def _event(headers) -> str | None:
    for name in EVENT_HEADERS:
        if value := headers.get(name):
            return value
    return None


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _message(data: dict, commit: str) -> str:
    """The pushed head commit's message: ``head_commit`` (GitHub, Gitea) or from ``commits``."""
    if message := _text(data.get("message")):
        return message
    head = data.get("head_commit")
    if isinstance(head, dict) and (message := _text(head.get("message"))):
        return message
    commits = [c for c in data.get("commits") or [] if isinstance(c, dict)]
    if not isinstance(data.get("commits"), list) or not commits:
        return ""
    # GitLab lists the pushed commits oldest first; pick the head by its id when we can.
    head = next((c for c in commits if commit and c.get("id") == commit), commits[-1])
    return _text(head.get("message"))


def _split_ref(ref: str, default_type) -> tuple[str, str]:
    if ref.startswith("refs/heads/"):
        return "branch", ref.removeprefix("refs/heads/")
    if ref.startswith("refs/tags/"):
        return "tag", ref.removeprefix("refs/tags/")
    if ref.startswith("refs/"):
        raise Ignored(f"“{ref}” is neither a branch nor a tag; nothing to build.")
    if default_type not in (None, "", "branch", "tag"):
        raise PayloadError('source_type must be "branch" or "tag".')
    return default_type or "branch", ref


def parse_push(data: dict, headers) -> Push:
    """The push a payload describes; ``Ignored`` for calls that build nothing.

    Accepts ``{ref, commit}`` (``ref`` as ``main``, ``refs/heads/main`` or ``refs/tags/v1.2``;
    a bare name is a branch unless ``source_type`` says ``tag``) and the push events of GitHub,
    GitLab and Gitea (``ref``, ``after``/``checkout_sha``, ``head_commit``/``commits``).
    """
    event = _event(headers)
    if event and event.strip().lower() == "ping":
        raise Ignored("Pong: the trigger URL and secret work. Pushes will start builds.")
    if event and event.strip().lower() not in PUSH_EVENTS:
        raise Ignored(f"“{event}” events do not start builds; only push events do.")
    ref = data.get("ref")
    if not isinstance(ref, str) or not ref.strip():
        raise PayloadError(
            'Name the ref to build: {"ref": "main"}, "refs/heads/main" or "refs/tags/v1.2".'
        )
    source_type, name = _split_ref(ref.strip(), data.get("source_type"))
    after = _text(data.get("after"))
    if data.get("deleted") is True or (after and ZERO_SHA.match(after)):
        raise Ignored(f"The push deleted {source_type} “{name}”; nothing to build.")
    commit = _text(data.get("commit")) or _text(data.get("checkout_sha")) or after
    return Push(source_type=source_type, ref=name, commit=commit, message=_message(data, commit))
