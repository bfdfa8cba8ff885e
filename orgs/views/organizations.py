"""Creating an organization, its Repositories tab, its Settings tab and deleting it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from hub.selectors import user_repositories
from orgs import services
from orgs.errors import OrgError
from orgs.forms import OrgCreateForm, OrgDeleteForm, OrgSettingsForm, add_org_error
from orgs.views.common import OWNERS, org_context, org_for

# The Repositories tab lists this many, most recently updated first; search has the rest.
REPOSITORY_LIST_LIMIT = 50


@login_required
@require_http_methods(["GET", "POST"])
def create(request):
    form = OrgCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.org_create(user=request.user, **form.cleaned_data)
        except OrgError as error:
            add_org_error(form, error)
        else:
            messages.success(
                request, f"Created {org.name}. You are its owner: add members and teams next."
            )
            return redirect("org", org=org.name)
    return render(request, "orgs/new.html", {"form": form})


@require_safe
def repositories(request, org: str):
    org, access = org_for(request, org)
    # One row past the limit says whether there are more, without a COUNT query.
    rows = list(user_repositories(owner=org, viewer=request.user)[: REPOSITORY_LIST_LIMIT + 1])
    context = {
        **org_context(org, access, "repositories"),
        "repositories": rows[:REPOSITORY_LIST_LIMIT],
        "more_repositories": len(rows) > REPOSITORY_LIST_LIMIT,
    }
    return render(request, "orgs/repositories.html", context)


def _settings_page(request, org, access, settings_form, delete_form):
    context = {
        **org_context(org, access, "settings"),
        "settings_form": settings_form,
        "delete_form": delete_form,
    }
    return render(request, "orgs/settings.html", context)


@require_http_methods(["GET", "POST"])
def settings_tab(request, org: str):
    org, access = org_for(request, org, see=OWNERS)
    form = OrgSettingsForm(request.POST if request.method == "POST" else None, org=org)
    if request.method == "POST" and form.is_valid():
        services.org_update(org=org, full_name=form.cleaned_data["full_name"])
        messages.success(request, "Settings saved.")
        return redirect("org-settings", org=org.name)
    return _settings_page(request, org, access, form, OrgDeleteForm(org=org))


@require_POST
def delete(request, org: str):
    org, access = org_for(request, org, see=OWNERS)
    form = OrgDeleteForm(request.POST, org=org)
    if not form.is_valid():
        return _settings_page(request, org, access, OrgSettingsForm(org=org), form)
    name = org.name
    services.org_delete(org=org)
    messages.success(request, f"Deleted {name} with all its repositories, teams and robots.")
    return redirect("home")
