"""Reads on the audit log: a namespace's, a repository's, the whole site's; newest first.

Who may read which is not decided here but in ``hub.permissions_admin`` (``namespace_administered``,
``repository_administered``; staff for the site): callers ask first, then read. Rows carry the
names they show (actor, repository), so listing them joins nothing.
"""

from dataclasses import replace

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from audit.filters import EventFilter
from audit.models import Event
from hub.models import Namespace, Repository
from hub.permissions import as_actor
from hub.permissions_admin import namespace_administered, repository_administered
from hub.selectors import repository_get_visible

NO_NAMESPACE_LOG = "No activity of {name!r} that you may see."
NO_REPOSITORY_LOG = "No such repository"


def _filtered(events: QuerySet[Event], filters: EventFilter, *, namespace: str = ""):
    if filters.actor:
        events = events.filter(actor_name=filters.actor)
    if filters.action.endswith("."):
        events = events.filter(action__startswith=filters.action)
    elif filters.action:
        events = events.filter(action=filters.action)
    if filters.repository and namespace:
        events = events.filter(repository_name=f"{namespace}/{filters.repository}")
    elif "/" in filters.repository:  # site-wide: one repository…
        events = events.filter(repository_name=filters.repository)
    elif filters.repository:  # …or all of a namespace
        events = events.filter(namespace=filters.repository)
    if filters.since is not None:
        events = events.filter(occurred_at__gte=filters.since)
    if filters.until is not None:
        events = events.filter(occurred_at__lte=filters.until)
    return events.order_by("-occurred_at", "-id")


def namespace_events(
    *, namespace: str, filters: EventFilter | None = None, held_since=None
) -> QuerySet[Event]:
    """Everything recorded in a namespace, its deleted repositories' events included (since
    ``held_since``, when its present holder took the name: ``namespace_held_since``)."""
    events = Event.objects.of_namespace(namespace)
    if held_since is not None:
        events = events.filter(occurred_at__gte=held_since)
    return _filtered(events, filters or EventFilter(), namespace=namespace)


def namespace_held_since(holder: Namespace | None, name: str):
    """When the present holder of a namespace's name took it: a deleted account's or
    organization's events are not shown to whoever took the name after it (``holder``: the
    Namespace row, None for an account without repositories yet)."""
    if holder is None:  # an account without repositories yet
        return User.objects.filter(username=name).values_list("date_joined", flat=True).first()
    if holder.kind == Namespace.Kind.USER and holder.owner is not None:
        return holder.owner.date_joined
    return holder.created_at


def repository_events(
    *, repository: Repository, filters: EventFilter | None = None
) -> QuerySet[Event]:
    """What happened to one repository (since it was created: a deleted one of the same name
    had events of its own, shown in its namespace's log)."""
    filters = filters or EventFilter()
    if filters.repository:  # there is only one here
        filters = replace(filters, repository="")
    return _filtered(Event.objects.of_repository(repository), filters)


def site_events(*, filters: EventFilter | None = None) -> QuerySet[Event]:
    """Every event of the hub (for staff)."""
    return _filtered(Event.objects.all(), filters or EventFilter())


# --- whose log: the lookups pages and the API share ---


def audit_namespace_get(*, viewer, name: str) -> Namespace | None:
    """The namespace whose log ``viewer`` may read (None: an account without repositories yet,
    whose own log it is); 404 otherwise, the same whether it exists or not."""
    missing = Http404(NO_NAMESPACE_LOG.format(name=name[:40]))
    namespace = Namespace.objects.select_related("owner").filter(name=name).first()
    if not namespace_administered(viewer, namespace, name):
        raise missing
    if namespace is None and as_actor(viewer).name != name:  # staff, for someone else's
        if not User.objects.filter(username=name, is_active=True).exists():
            raise missing
    return namespace


def audit_repository_get(*, viewer, namespace: str, name: str) -> Repository:
    """The repository whose log ``viewer`` may read (its admins); 404 for everyone else, the
    same as for a repository that does not exist."""
    repository = repository_get_visible(user=viewer, namespace=namespace, name=name)
    if not repository_administered(viewer, repository):
        raise Http404(NO_REPOSITORY_LOG)
    return repository
