"""Staff pages of the pull-through cache: the upstream registries at ``/-/upstreams/`` (list
and add), one upstream's page (edit) and its delete. Anyone else signed in gets a 403; people
not signed in are sent to sign in first."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from hub.permissions_admin import upstreams_administered
from proxy import selectors, services
from proxy.forms import UpstreamForm, add_service_errors
from proxy.models import Upstream

NOT_STAFF = "Only staff can see and change upstream registries."


def _staff_only(request) -> None:
    if not upstreams_administered(request.user):
        raise PermissionDenied(NOT_STAFF)


def _upstream(name: str) -> Upstream:
    upstream = selectors.upstream_get(name)
    if upstream is None:
        raise Http404("No such upstream")
    return upstream


@login_required
@require_http_methods(["GET", "POST"])
def upstream_list(request):
    _staff_only(request)
    form = UpstreamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            upstream = services.upstream_create(**form.service_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Upstream {upstream.name} added: pull its images as "
                f"{upstream.namespace.name}/<image>.",
            )
            return redirect("upstreams")
    upstreams = list(selectors.upstreams_list(with_counts=True))
    return render(request, "proxy/list.html", {"upstreams": upstreams, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def upstream_detail(request, name: str):
    _staff_only(request)
    upstream = _upstream(name)
    initial = {
        field: getattr(upstream, field)
        for field in ("name", "url", "username", "tls_verify", "is_mirror", "pull_access")
    }
    form = UpstreamForm(request.POST or None, initial=initial, upstream=upstream)
    if request.method == "POST" and form.is_valid():
        try:
            services.upstream_update(upstream=upstream, **form.service_fields())
        except ValidationError as error:
            add_service_errors(form, error)
            upstream.refresh_from_db()  # the page shows what is stored, not the refused input
        else:
            messages.success(request, f"Upstream {upstream.name} saved.")
            return redirect("upstream", name=upstream.name)
    context = {
        "upstream": upstream,
        "form": form,
        "repository_count": upstream.namespace.repositories.count(),
    }
    return render(request, "proxy/detail.html", context)


@login_required
@require_POST
def upstream_delete(request, name: str):
    _staff_only(request)
    upstream = _upstream(name)
    count = services.upstream_delete(upstream=upstream)
    messages.success(
        request,
        f"Upstream {upstream.name} deleted, with its namespace and {count} cached "
        f"repositor{'y' if count == 1 else 'ies'}.",
    )
    return redirect("upstreams")
