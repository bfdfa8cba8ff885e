"""The Members tab: members see who is in; owners add, change roles and remove; anyone leaves."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from orgs import services
from orgs.errors import OrgError
from orgs.forms import MemberAddForm, RoleForm, add_org_error
from orgs.selectors import org_members, org_membership
from orgs.views.common import MEMBERS, org_context, org_for, require_owner


@require_http_methods(["GET", "POST"])
def members_tab(request, org: str):
    org, access = org_for(request, org, see=MEMBERS)
    form = MemberAddForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        require_owner(access, org)
        if form.is_valid():
            try:
                membership = services.member_add(org=org, **form.cleaned_data)
            except OrgError as error:
                add_org_error(form, error)
            else:
                messages.success(
                    request,
                    f"Added {membership.user.username} to {org.name} as "
                    f"{membership.get_role_display().lower()}.",
                )
                return redirect("org-members", org=org.name)
    context = {
        **org_context(org, access, "members"),
        "members": org_members(org=org),
        "form": form,
        "role_choices": RoleForm.base_fields["role"].choices,
    }
    return render(request, "orgs/members.html", context)


@require_POST
def member_role(request, org: str, username: str):
    org, access = org_for(request, org, see=MEMBERS)
    require_owner(access, org)
    membership = org_membership(org=org, username=username)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Role is one of owner, editor, member.")
        return redirect("org-members", org=org.name)
    try:
        services.member_update(membership=membership, role=form.cleaned_data["role"])
    except OrgError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, f"{username} is now {membership.get_role_display().lower()} of {org.name}."
        )
    return redirect("org-members", org=org.name)


def _remove(request, org, membership, *, leaving: bool):
    try:
        services.member_remove(membership=membership)
    except OrgError as error:
        messages.error(request, error.message)
        return redirect("org-members", org=org.name)
    if leaving:
        messages.success(request, f"You left {org.name}.")
        return redirect("org", org=org.name)
    messages.success(request, f"Removed {membership.user.username} from {org.name}.")
    return redirect("org-members", org=org.name)


@require_POST
def member_remove(request, org: str, username: str):
    org, access = org_for(request, org, see=MEMBERS)
    leaving = username == request.user.username
    if not leaving:
        require_owner(access, org)
    membership = org_membership(org=org, username=username)
    return _remove(request, org, membership, leaving=leaving)


@require_POST
def leave(request, org: str):
    org, _ = org_for(request, org, see=MEMBERS)
    membership = org_membership(org=org, username=request.user.username)
    return _remove(request, org, membership, leaving=True)
