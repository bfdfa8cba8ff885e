"""Writes on organizations, members, teams, repository permissions and collaborators.

Callers (pages, the API) check who may make a change with ``orgs.selectors``/``hub.permissions``
first; these enforce what must hold whoever asks: names unique across users and organizations,
at least one owner, team members are members, teams only on their organization's repositories,
collaborators only on users' repositories.
"""

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.names import validate_username
from hub.events import event_record
from hub.models import Namespace, Repository
from orgs.errors import OrgError
from orgs.models import Collaborator, Level, Membership, Role, Team, TeamMember, TeamPermission

TEAM_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")


def _person(username: str) -> User:
    """An active person's account (never a robot) by name, or a form error."""
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None or "+" in username:
        raise OrgError(f"There is no user {username!r}.", "username")
    return user


def _changed(target: Namespace | Repository, change: str, subject: str, **data) -> None:
    """A permission.changed event on an organization (members, teams) or a repository."""
    if isinstance(target, Repository):
        where = {"repository": target}
    else:
        where = {"namespace": target.name}
    event_record(
        action="permission.changed", data={"change": change, "subject": subject, **data}, **where
    )


def _create(taken: OrgError, model, **fields):
    """Insert a row, turning a unique clash with a parallel request into ``taken``."""
    try:
        with transaction.atomic():
            return model.objects.create(**fields)
    except IntegrityError:
        raise taken from None


# --- organizations ---


@transaction.atomic
def org_create(*, user: User, name: str, full_name: str = "") -> Namespace:
    """A new organization named ``name``; its creator becomes its first owner."""
    try:
        validate_username(name)
    except ValidationError as error:
        raise OrgError(" ".join(error.messages).replace("Usernames", "Names"), "name") from None
    if "+" in user.username:
        raise OrgError("Robots cannot create organizations.", "name")
    if User.objects.filter(username=name).exists() or Namespace.objects.filter(name=name).exists():
        raise OrgError("That name is taken.", "name")
    try:
        with transaction.atomic():
            org = Namespace.objects.create(
                name=name, kind=Namespace.Kind.ORG, full_name=(full_name or "").strip()[:100]
            )
    except IntegrityError:
        raise OrgError("That name is taken.", "name") from None
    Membership.objects.create(namespace=org, user=user, role=Role.OWNER)
    return org


@transaction.atomic
def org_update(*, org: Namespace, full_name: str) -> Namespace:
    org.full_name = (full_name or "").strip()[:100]
    org.save(update_fields=["full_name"])
    return org


@transaction.atomic
def org_delete(*, org: Namespace) -> None:
    """The organization with its repositories, teams and robots (and the robots' accounts)."""
    from hub.services import repository_delete

    for repository in Repository.objects.filter(namespace=org):
        repository_delete(repository=repository)
    User.objects.filter(robot__namespace=org).delete()
    org.delete()


# --- members ---


def _check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise OrgError("Role is one of owner, editor, member.", "role") from None


def _keep_an_owner(org: Namespace, leaving: Membership) -> None:
    if leaving.role != Role.OWNER:
        return
    # Lock the organization's row first: two owners stepping down at once then take turns,
    # and the second sees the first gone (a COUNT takes no row locks of its own).
    Namespace.objects.select_for_update().filter(pk=org.pk).first()
    owners = Membership.objects.filter(namespace=org, role=Role.OWNER)
    if owners.exclude(pk=leaving.pk).count() == 0:
        raise OrgError(
            f"{org.name} must keep at least one owner: make someone else an owner first.", "role"
        )


@transaction.atomic
def member_add(*, org: Namespace, username: str, role: str = Role.MEMBER) -> Membership:
    user = _person(username)
    role = _check_role(role)
    taken = OrgError(f"{username} is already a member of {org.name}.", "username")
    if Membership.objects.filter(namespace=org, user=user).exists():
        raise taken
    membership = _create(taken, Membership, namespace=org, user=user, role=role)
    _changed(org, "member.added", username, level=role)
    return membership


@transaction.atomic
def member_update(*, membership: Membership, role: str) -> Membership:
    role = _check_role(role)
    if role != Role.OWNER:
        _keep_an_owner(membership.namespace, membership)
    membership.role = role
    membership.save(update_fields=["role"])
    _changed(membership.namespace, "member.role", membership.user.username, level=role)
    return membership


@transaction.atomic
def member_remove(*, membership: Membership) -> None:
    """Out of the organization and all its teams (also how a member leaves)."""
    _keep_an_owner(membership.namespace, membership)
    TeamMember.objects.filter(team__namespace=membership.namespace, user=membership.user).delete()
    membership.delete()
    _changed(membership.namespace, "member.removed", membership.user.username)


# --- teams ---


def _check_team_name(name: str) -> str:
    if not TEAM_NAME_RE.match(name or ""):
        raise OrgError(
            "Team names are 1–50 lowercase letters, digits, - and _, starting with a letter or "
            "digit.",
            "name",
        )
    return name


@transaction.atomic
def team_create(*, org: Namespace, name: str, description: str = "") -> Team:
    name = _check_team_name(name)
    taken = OrgError(f"{org.name} already has a team {name}.", "name")
    if Team.objects.filter(namespace=org, name=name).exists():
        raise taken
    return _create(taken, Team, namespace=org, name=name, description=(description or "")[:200])


@transaction.atomic
def team_update(*, team: Team, name: str | None = None, description: str | None = None) -> Team:
    if name is not None and name != team.name:
        name = _check_team_name(name)
        if Team.objects.filter(namespace_id=team.namespace_id, name=name).exists():
            raise OrgError(f"There already is a team {name}.", "name")
        team.name = name
    if description is not None:
        team.description = description[:200]
    try:
        with transaction.atomic():
            team.save(update_fields=["name", "description"])
    except IntegrityError:  # renamed to a name a parallel request just took
        raise OrgError(f"There already is a team {team.name}.", "name") from None
    return team


@transaction.atomic
def team_delete(*, team: Team) -> None:
    _changed(team.namespace, "team.deleted", team.name)
    team.delete()


@transaction.atomic
def team_member_add(*, team: Team, username: str) -> TeamMember:
    """Add a member of the organization (a user not yet in it joins as a member)."""
    user = _person(username)
    Membership.objects.get_or_create(
        namespace_id=team.namespace_id, user=user, defaults={"role": Role.MEMBER}
    )
    taken = OrgError(f"{username} is already in {team.name}.", "username")
    if TeamMember.objects.filter(team=team, user=user).exists():
        raise taken
    member = _create(taken, TeamMember, team=team, user=user)
    _changed(team.namespace, "team.member.added", username, team=team.name)
    return member


@transaction.atomic
def team_member_remove(*, team: Team, username: str) -> None:
    deleted, _ = TeamMember.objects.filter(team=team, user__username=username).delete()
    if not deleted:
        raise OrgError(f"{username} is not in {team.name}.", "username")
    _changed(team.namespace, "team.member.removed", username, team=team.name)


# --- repository permissions ---


def _check_level(permission: str) -> Level:
    try:
        return Level.from_name(permission)
    except ValueError:
        raise OrgError("Permission is one of read, write, admin.", "permission") from None


@transaction.atomic
def team_permission_set(*, repository: Repository, team: Team, permission: str) -> TeamPermission:
    """Give a team ``permission`` on one of its organization's repositories (or change it)."""
    level = _check_level(permission)
    if team.namespace_id != repository.namespace_id:
        raise OrgError(f"{team.name} is not a team of {repository.namespace.name}.", "group_name")
    grant, _ = TeamPermission.objects.update_or_create(
        team=team, repository=repository, defaults={"level": level}
    )
    _changed(repository, "team.permission", team.name, level=level.label)
    return grant


@transaction.atomic
def team_permission_remove(*, repository: Repository, team: Team) -> None:
    deleted, _ = TeamPermission.objects.filter(team=team, repository=repository).delete()
    if not deleted:
        raise OrgError(f"{team.name} has no permission on {repository.full_name}.", "group_name")
    _changed(repository, "team.permission.removed", team.name)


@transaction.atomic
def collaborator_set(*, repository: Repository, username: str, permission: str) -> Collaborator:
    """Give another user ``permission`` on a user's own repository (or change it)."""
    level = _check_level(permission)
    if repository.namespace.kind != Namespace.Kind.USER:
        raise OrgError(
            "Collaborators are for users' own repositories; organizations grant access through "
            "teams.",
            "username",
        )
    user = _person(username)
    if user.pk == repository.namespace.owner_id:
        raise OrgError(f"{username} owns {repository.full_name} already.", "username")
    collaborator, _ = Collaborator.objects.update_or_create(
        repository=repository, user=user, defaults={"level": level}
    )
    _changed(repository, "collaborator", username, level=level.label)
    return collaborator


@transaction.atomic
def collaborator_remove(*, repository: Repository, username: str) -> None:
    deleted, _ = Collaborator.objects.filter(
        repository=repository, user__username=username
    ).delete()
    if not deleted:
        raise OrgError(f"{username} is not a collaborator on {repository.full_name}.", "username")
    _changed(repository, "collaborator.removed", username)
