"""Activity pages: a namespace's (``/u/<ns>/-/activity/``), a repository's (Settings →
Activity) and the whole site's (staff, ``/-/activity/``), each with ``?format=csv``.

Whoever may not read a log gets a 404, as if there were none: a private repository's log must
not tell anyone it exists. People not signed in are sent to sign in first (before anything is
looked up, so that says nothing either).
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from audit.display import event_row
from audit.export import csv_response
from audit.forms import ActivityFilterForm
from audit.selectors import (
    audit_namespace_get,
    audit_repository_get,
    namespace_events,
    namespace_held_since,
    repository_events,
    site_events,
)
from hub.permissions import as_actor, organization_access
from hub.views.common import repository_context

PER_PAGE = 50


def _log(request, *, scope: str, events_for, csv_scope: str, template: str, context: dict):
    """The filtered log as a page of rows, or all of it as CSV (``?format=csv``)."""
    form = ActivityFilterForm(request.GET or None, scope=scope)
    valid = not form.is_bound or form.is_valid()
    events = events_for(form.filters()) if valid else None
    if valid and request.GET.get("format") == "csv":
        return csv_response(request, events, scope=csv_scope)
    page = Paginator(events if valid else [], PER_PAGE).get_page(request.GET.get("page"))
    context = {
        **context,
        "form": form,
        "page": page,
        "rows": [event_row(event) for event in page.object_list],
        "filtered": form.is_bound and valid and not form.filters().is_empty,
        "scope": scope,
    }
    response = render(request, template, context)
    if not valid:
        response.status_code = 400
    return response


@login_required
@require_safe
def namespace_activity(request, namespace: str):
    found = audit_namespace_get(viewer=request.user, name=namespace)
    context = {"namespace_name": namespace, "tab": "activity"}
    if found is not None and found.is_org:
        context.update(
            base_template="orgs/base.html",
            org=found,
            access=organization_access(request.user, found),
        )
    else:
        context["base_template"] = "audit/namespace_base.html"
    return _log(
        request,
        scope="namespace",
        events_for=lambda filters: namespace_events(
            namespace=namespace, filters=filters, held_since=namespace_held_since(found, namespace)
        ),
        csv_scope=namespace,
        template="audit/namespace.html",
        context=context,
    )


@login_required
@require_safe
def repository_activity(request, namespace: str, name: str):
    repository = audit_repository_get(viewer=request.user, namespace=namespace, name=name)
    return _log(
        request,
        scope="repository",
        events_for=lambda filters: repository_events(repository=repository, filters=filters),
        csv_scope=repository.full_name,
        template="audit/repository.html",
        context=repository_context(request, repository, "settings"),
    )


@login_required
@require_safe
def site_activity(request):
    if not as_actor(request.user).is_staff:
        raise Http404("No such page")
    return _log(
        request,
        scope="site",
        events_for=lambda filters: site_events(filters=filters),
        csv_scope="site",
        template="audit/site.html",
        context={},
    )
