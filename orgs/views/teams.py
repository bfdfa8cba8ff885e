"""The Teams tab and a team's page: members see them; owners create, rename, delete teams and
add or remove their members."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from orgs import services
from orgs.errors import OrgError
from orgs.forms import TeamForm, TeamMemberAddForm, add_org_error
from orgs.selectors import org_teams, team_get, team_members, team_repository_permissions_visible
from orgs.views.common import MEMBERS, org_context, org_for, require_owner


@require_http_methods(["GET", "POST"])
def teams_tab(request, org: str):
    org, access = org_for(request, org, see=MEMBERS)
    form = TeamForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        require_owner(access, org)
        if form.is_valid():
            try:
                team = services.team_create(org=org, **form.cleaned_data)
            except OrgError as error:
                add_org_error(form, error)
            else:
                messages.success(request, f"Created team {team.name}. Add its members here.")
                return redirect("org-team", org=org.name, team=team.name)
    context = {**org_context(org, access, "teams"), "teams": org_teams(org=org), "form": form}
    return render(request, "orgs/teams.html", context)


def _team_page(request, org, access, team, *, team_form=None, member_form=None):
    context = {
        **org_context(org, access, "teams"),
        "team": team,
        "members": team_members(team=team),
        "permissions": team_repository_permissions_visible(team=team, viewer=request.user),
        "team_form": team_form
        or TeamForm(initial={"name": team.name, "description": team.description}, prefix="team"),
        "member_form": member_form or TeamMemberAddForm(prefix="member"),
    }
    return render(request, "orgs/team.html", context)


@require_http_methods(["GET", "POST"])
def team_detail(request, org: str, team: str):
    """The team's page; a POST renames it or changes its description (owners)."""
    org, access = org_for(request, org, see=MEMBERS)
    team = team_get(org=org, name=team)
    if request.method != "POST":
        return _team_page(request, org, access, team)
    require_owner(access, org)
    form = TeamForm(request.POST, prefix="team")
    if form.is_valid():
        try:
            services.team_update(team=team, **form.cleaned_data)
        except OrgError as error:
            add_org_error(form, error)
        else:
            messages.success(request, f"Saved team {team.name}.")
            return redirect("org-team", org=org.name, team=team.name)
    return _team_page(request, org, access, team, team_form=form)


@require_POST
def team_delete(request, org: str, team: str):
    org, access = org_for(request, org, see=MEMBERS)
    require_owner(access, org)
    team = team_get(org=org, name=team)
    services.team_delete(team=team)
    messages.success(request, f"Deleted team {team.name}; its members stay in {org.name}.")
    return redirect("org-teams", org=org.name)


@require_POST
def team_member_add(request, org: str, team: str):
    org, access = org_for(request, org, see=MEMBERS)
    require_owner(access, org)
    team = team_get(org=org, name=team)
    form = TeamMemberAddForm(request.POST, prefix="member")
    if form.is_valid():
        username = form.cleaned_data["username"]
        try:
            services.team_member_add(team=team, username=username)
        except OrgError as error:
            add_org_error(form, error)
        else:
            messages.success(request, f"Added {username} to {team.name}.")
            return redirect("org-team", org=org.name, team=team.name)
    return _team_page(request, org, access, team, member_form=form)


@require_POST
def team_member_remove(request, org: str, team: str, username: str):
    org, access = org_for(request, org, see=MEMBERS)
    require_owner(access, org)
    team = team_get(org=org, name=team)
    try:
        services.team_member_remove(team=team, username=username)
    except OrgError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Removed {username} from {team.name}; they stay in {org.name}.")
    return redirect("org-team", org=org.name, team=team.name)
