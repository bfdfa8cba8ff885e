"""Reads on organizations, teams, permissions and robots, with related rows joined."""

from django.db.models import Count, QuerySet
from django.http import Http404

from hub.models import Namespace, Repository
from orgs.models import Collaborator, Membership, Robot, Team, TeamMember, TeamPermission


def org_get(*, name: str) -> Namespace:
    """The organization called ``name``; 404 for anything else (a user, library, nothing)."""
    org = Namespace.objects.filter(name=name, kind=Namespace.Kind.ORG).first()
    if org is None:
        raise Http404("No such organization")
    return org


def user_organizations(*, user) -> QuerySet[Membership]:
    """The person's memberships, their organizations joined, by name."""
    if user is None or not user.is_authenticated:
        return Membership.objects.none()
    return (
        Membership.objects.filter(user=user).select_related("namespace").order_by("namespace__name")
    )


def org_members(*, org: Namespace) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(namespace=org).select_related("user").order_by("user__username")
    )


def org_membership(*, org: Namespace, username: str) -> Membership:
    membership = (
        Membership.objects.select_related("user", "namespace")
        .filter(namespace=org, user__username=username)
        .first()
    )
    if membership is None:
        raise Http404(f"{username} is not a member of {org.name}")
    return membership


def org_teams(*, org: Namespace) -> QuerySet[Team]:
    return (
        Team.objects.filter(namespace=org)
        .annotate(member_count=Count("team_members", distinct=True))
        .order_by("name")
    )


def team_get(*, org: Namespace, name: str) -> Team:
    team = Team.objects.filter(namespace=org, name=name).select_related("namespace").first()
    if team is None:
        raise Http404(f"No team {name} in {org.name}")
    return team


def team_members(*, team: Team) -> QuerySet[TeamMember]:
    return TeamMember.objects.filter(team=team).select_related("user").order_by("user__username")


def team_repository_permissions(*, team: Team) -> QuerySet[TeamPermission]:
    return (
        TeamPermission.objects.filter(team=team)
        .select_related("repository__namespace")
        .order_by("repository__name")
    )


def repository_team_permissions(*, repository: Repository) -> QuerySet[TeamPermission]:
    return (
        TeamPermission.objects.filter(repository=repository)
        .select_related("team")
        .order_by("team__name")
    )


def repository_collaborators(*, repository: Repository) -> QuerySet[Collaborator]:
    return (
        Collaborator.objects.filter(repository=repository)
        .select_related("user")
        .order_by("user__username")
    )


def namespace_robots(*, namespace: Namespace) -> QuerySet[Robot]:
    return Robot.objects.filter(namespace=namespace).select_related("user").order_by("name")


def robot_get(*, namespace: Namespace, name: str) -> Robot:
    """By short name (``ci``) or full name (``acme+ci``)."""
    short = name.removeprefix(f"{namespace.name}+")
    robot = Robot.objects.filter(namespace=namespace, name=short).select_related("user").first()
    if robot is None:
        raise Http404(f"No robot {namespace.name}+{short}")
    return robot


def team_repository_permissions_visible(*, team: Team, viewer) -> QuerySet[TeamPermission]:
    """A team's permissions on the repositories ``viewer`` may see (the team page lists these:
    a private repository stays unnamed for members who may not read it)."""
    return team_repository_permissions(team=team).filter(
        repository__in=Repository.objects.visible_to(viewer)
    )
