"""A repository's Settings → Permissions page (repository admins): the teams of its
organization, or the collaborators on a user's repository, with read, write or admin."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from hub.models import Namespace, Repository
from hub.permissions import repository_access
from hub.views.common import repository_context, repository_for, repository_url
from orgs import services
from orgs.errors import OrgError
from orgs.forms import CollaboratorAddForm, PermissionForm, TeamPermissionAddForm, add_org_error
from orgs.models import Level
from orgs.selectors import (
    org_teams,
    repository_collaborators,
    repository_team_permissions,
    team_get,
)


def _kind(repository: Repository) -> str:
    """teams (an organization's repository), collaborators (a user's), or none (library)."""
    if repository.namespace.is_org:
        return "teams"
    if repository.namespace.kind == Namespace.Kind.USER:
        return "collaborators"
    return "none"


def _add_form(repository: Repository, kind: str, grants, data=None):
    if kind == "teams":
        granted = {grant.team_id for grant in grants}
        teams = [t.name for t in org_teams(org=repository.namespace) if t.pk not in granted]
        return TeamPermissionAddForm(data, teams=teams)
    if kind == "collaborators":
        return CollaboratorAddForm(data)
    return None


def _grants(repository: Repository, kind: str) -> list:
    if kind == "teams":
        return list(repository_team_permissions(repository=repository))
    if kind == "collaborators":
        return list(repository_collaborators(repository=repository))
    return []


def _grant(repository: Repository, kind: str, who: str):
    """The team's or collaborator's permission row on this repository, or 404."""
    if kind == "teams":
        grant = repository_team_permissions(repository=repository).filter(team__name=who).first()
    elif kind == "collaborators":
        grant = repository_collaborators(repository=repository).filter(user__username=who).first()
    else:
        grant = None
    if grant is None:
        raise Http404(f"{who} has no permission on {repository.full_name}")
    return grant


def _back(request, repository: Repository):
    """The Permissions page again, unless the change took the viewer's own admin away."""
    fresh = (
        Repository.objects.with_access(request.user)
        .select_related("namespace", "namespace__owner")
        .filter(pk=repository.pk)
        .first()
    )
    access = repository_access(request.user, fresh) if fresh else None
    if access and access.admin:
        return redirect(repository_url(repository, "repository-permissions"))
    if access and access.read:
        return redirect(repository_url(repository))
    return redirect("home")


@require_http_methods(["GET", "POST"])
def permissions_tab(request, namespace: str, name: str):
    repository = repository_for(request, namespace, name, admin=True)
    kind = _kind(repository)
    grants = _grants(repository, kind)
    data = request.POST if request.method == "POST" else None
    form = _add_form(repository, kind, grants, data)
    if data is not None and form is not None and form.is_valid():
        permission = form.cleaned_data["permission"]
        try:
            if kind == "teams":
                who = form.cleaned_data["team"]
                team = team_get(org=repository.namespace, name=who)
                services.team_permission_set(
                    repository=repository, team=team, permission=permission
                )
            else:
                who = form.cleaned_data["username"]
                services.collaborator_set(
                    repository=repository, username=who, permission=permission
                )
        except OrgError as error:
            add_org_error(form, error)
        else:
            messages.success(request, f"{who} has {permission} on {repository.display_name}.")
            return redirect(repository_url(repository, "repository-permissions"))
    context = {
        **repository_context(request, repository, "settings"),
        "kind": kind,
        "grants": grants,
        "add_form": form,
        "permission_choices": PermissionForm.base_fields["permission"].choices,
    }
    return render(request, "orgs/repository_permissions.html", context)


@require_POST
def permission_change(request, namespace: str, name: str, who: str):
    repository = repository_for(request, namespace, name, admin=True)
    kind = _kind(repository)
    grant = _grant(repository, kind, who)
    form = PermissionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Permission is one of read, write, admin.")
        return redirect(repository_url(repository, "repository-permissions"))
    permission = form.cleaned_data["permission"]
    if kind == "teams":
        services.team_permission_set(repository=repository, team=grant.team, permission=permission)
    else:
        services.collaborator_set(repository=repository, username=who, permission=permission)
    messages.success(request, f"{who} has {permission} on {repository.display_name}.")
    return _back(request, repository)


@require_POST
def permission_remove(request, namespace: str, name: str, who: str):
    repository = repository_for(request, namespace, name, admin=True)
    kind = _kind(repository)
    grant = _grant(repository, kind, who)
    if kind == "teams":
        services.team_permission_remove(repository=repository, team=grant.team)
    else:
        services.collaborator_remove(repository=repository, username=who)
    messages.success(
        request, f"{who} no longer has {Level(grant.level).label} on {repository.display_name}."
    )
    return _back(request, repository)
