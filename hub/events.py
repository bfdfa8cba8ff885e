"""What happened, who did it: the one place services record events.

``event_record`` is called by the services that do the work (never by views), inside their
transaction: the audit log row (``audit.Event``) commits with the change or not at all, and once
it has committed, webhooks subscribed to the action are told (``webhooks.dispatch``).

Pulls are the registry's most frequent request, so they are not written one row at a time:
``hub.pulls`` appends each to a Redis stream, and the worker's beat moves the stream into the
audit log (and the pull counts) in batches.

Who acted is known where the request came in, not in the service: the middleware (and the
registry's authentication, the build worker) set it for the current context with ``acting``;
``event_record`` reads it unless given an actor.
"""

import contextvars
import logging
from contextlib import contextmanager
from dataclasses import dataclass

logger = logging.getLogger(__name__)

# What webhooks may subscribe to; the rest is for the audit log only.
WEBHOOK_ACTIONS = (
    "push",
    "delete",
    "repository.created",
    "repository.deleted",
    "repository.visibility",
    "build.queued",
    "build.success",
    "build.failed",
    "build.cancelled",
)
ACTIONS = (
    *WEBHOOK_ACTIONS,
    "pull",
    "permission.changed",
    "token.created",
    "token.revoked",
    "login.failed",
    "upstream.created",  # the pull-through cache's upstream registries (proxy.services)
    "upstream.updated",
    "upstream.deleted",
)


@dataclass(frozen=True)
class EventActor:
    """Who did something, as the audit log shows it."""

    user: object = None  # a User, or None
    kind: str = "anonymous"  # audit.Event.ActorKind
    name: str = ""
    token_name: str = ""
    ip: str | None = None

    @classmethod
    def system(cls) -> "EventActor":
        return cls(kind="system", name="wharf")


_acting: contextvars.ContextVar = contextvars.ContextVar("wharf_acting", default=None)


@contextmanager
def acting(actor):
    """Events recorded inside the block are by ``actor`` (an EventActor or a callable that
    returns one, so a request's user is looked up only when something is recorded)."""
    reset = _acting.set(actor)
    try:
        yield
    finally:
        _acting.reset(reset)


def current_actor() -> EventActor:
    actor = _acting.get()
    if callable(actor):
        actor = actor()
    return actor if isinstance(actor, EventActor) else EventActor.system()


def actor_for(user, *, token=None, robot=None, build=False, ip: str | None = None) -> EventActor:
    """The EventActor for an account, however it authenticated."""
    if user is None or not getattr(user, "is_authenticated", False):
        return EventActor(kind="anonymous", ip=ip or None)
    if robot is None:
        robot = getattr(user, "robot", None) if "+" in user.username else None
    if build:
        kind = "build"
    elif robot is not None:
        kind = "robot"
    elif token is not None:
        kind = "token"
    else:
        kind = "user"
    token_name = getattr(token, "description", "") if token is not None else ""
    return EventActor(
        user=user, kind=kind, name=user.username, token_name=token_name, ip=ip or None
    )


def actor_from_request(request) -> EventActor:
    """The actor of a Django or DRF request (DRF writes its user and auth back onto it), or of
    a registry request (``hub.registry.access`` leaves its Caller on it)."""
    ip = request.META.get("REMOTE_ADDR") or None
    caller = getattr(request, "registry_caller", None)
    if caller is not None:
        grant = caller.grant
        return actor_for(
            caller.user,
            token=getattr(caller, "token", None),
            robot=caller.actor.robot,
            build=bool(grant and grant.build),
            ip=ip,
        )
    from accounts.models import AccessToken

    auth = getattr(request, "auth", None)
    return actor_for(
        getattr(request, "user", None),
        token=auth if isinstance(auth, AccessToken) else None,
        ip=ip,
    )


class ActingMiddleware:
    """Events recorded while a request is answered are by its caller."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with acting(lambda: actor_from_request(request)):
            return self.get_response(request)


def event_record(
    *,
    action: str,
    actor: EventActor | None = None,
    repository=None,
    namespace: str = "",
    tag: str = "",
    digest: str = "",
    data: dict | None = None,
):
    """Record that ``action`` happened (in the caller's transaction); returns the audit row."""
    from audit.models import Event

    if action not in ACTIONS:
        raise ValueError(f"unknown event action {action!r}")
    actor = actor or current_actor()
    if repository is not None:
        namespace = namespace or repository.namespace.name
    event = Event.objects.create(
        action=action,
        actor=actor.user,
        actor_name=actor.name,
        actor_kind=actor.kind,
        token_name=actor.token_name,
        ip=actor.ip,
        namespace=namespace,
        repository=repository,
        repository_name=repository.full_name if repository is not None else "",
        tag=tag,
        digest=digest,
        data=data or {},
    )
    if action in WEBHOOK_ACTIONS:
        from webhooks.dispatch import dispatch_on_commit

        dispatch_on_commit(event)
    return event
