"""Who may do what to a repository: the one place every door of Wharf asks.

An *actor* is anonymous, a person, a person acting through an access token (whose scope narrows
what they may do), or a robot. Their *level* on a repository is the highest any rule gives:

- everyone: read on public repositories;
- staff: admin everywhere;
- a user's own namespace: admin for its owner; collaborators get their level on one repository;
- an organization: admin for its owners and editors on all its repositories; members get what
  their teams hold per repository (a member without a team only what everyone gets);
- ``library/``: staff only, beyond public reads;
- a pull-through cache's namespace (``proxy/``): read for everyone signed in (robots too), and
  for anyone when its upstream says public; nobody pushes there, staff administer it;
- a robot: what it was given (read for pull, write for push/delete) on the repositories of its
  namespace it names, and what everyone gets elsewhere. Memberships never apply to robots.

Levels read 1, write 2, admin 3. ``repository_access`` turns a level into ``{read, write, admin}``
narrowed by the token scope; ``repositories_visible`` is the set of repositories with read, built
from the same rules (``_rules``) as a filter, and ``repositories_with_access`` as an annotation
(lists: one query says what the actor may do to every row). For one repository the level needs
no query for anonymous callers, staff, robots and a namespace's owner, and one small query for
everyone else.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest

from accounts.models import AccessToken
from hub.models import LIBRARY, Namespace, Repository

NONE, READ, WRITE, ADMIN = 0, 1, 2, 3
EVERYTHING = frozenset({"read", "write", "delete"})
MANAGERS = ("owner", "editor")  # organization roles with admin on all its repositories


@dataclass(frozen=True)
class Actor:
    """Who is asking. ``scope`` is what their credential lets them do (None: their full rights)."""

    user: object = None  # accounts.User, or None when anonymous
    scope: frozenset[str] | None = None
    robot: object = None  # orgs.Robot when the user is one

    @property
    def is_anonymous(self) -> bool:
        return self.user is None

    @property
    def is_staff(self) -> bool:
        return self.user is not None and self.robot is None and self.user.is_staff

    @property
    def name(self) -> str:
        return self.user.username if self.user is not None else ""

    def allows(self, right: str) -> bool:
        return self.scope is None or right in self.scope


def robot_of(user):
    """The robot behind a user row, if it is one (robot names hold a ``+``; people's cannot)."""
    if user is None or "+" not in user.username:
        return None
    from orgs.models import Robot

    try:
        return user.robot
    except Robot.DoesNotExist:
        return None


def as_actor(who, auth=None) -> Actor:
    """An Actor from what a view has: an Actor, a user (or AnonymousUser, None) and the
    request's ``auth`` (an access token or a robot narrows the user's rights)."""
    if isinstance(who, Actor):
        return who
    if who is None or not getattr(who, "is_authenticated", False):
        return Actor()
    robot = robot_of(who)
    if robot is not None:
        return Actor(user=who, scope=robot.scope, robot=robot)
    if isinstance(auth, AccessToken):
        return Actor(user=who, scope=AccessToken.GRANTS[AccessToken.Scope(auth.scope)])
    return Actor(user=who)


def actor_from_request(request) -> Actor:
    return as_actor(getattr(request, "user", None), getattr(request, "auth", None))


# --- the rules ---


def _robot_level(robot) -> int:
    return WRITE if {"push", "delete"} & set(robot.actions) else READ


def _rules(actor: Actor) -> list[tuple[Q, object]]:
    """(which repositories a rule covers, the level it gives there) for ``actor``."""
    public = (Q(is_private=False), Value(READ))
    if actor.is_anonymous:
        return [public]
    if actor.robot is not None:
        robot = actor.robot
        mine = Q(namespace_id=robot.namespace_id)
        if not robot.all_repositories:
            mine &= Q(name__in=list(robot.repositories))
        return [public, (mine, Value(_robot_level(robot))), _cached_rule()]
    from orgs.models import Collaborator, Membership, TeamPermission

    user = actor.user
    managed = Membership.objects.filter(user=user, role__in=MANAGERS).values("namespace_id")
    collaborations = Collaborator.objects.filter(user=user)
    team_grants = TeamPermission.objects.filter(team__team_members__user=user)
    collab_level = collaborations.filter(repository=OuterRef("pk")).values("level")[:1]
    team_level = (
        team_grants.filter(repository=OuterRef("pk")).order_by("-level").values("level")[:1]
    )
    return [
        public,
        _cached_rule(),
        (Q(namespace__owner=user), Value(ADMIN)),
        (Q(namespace_id__in=managed), Value(ADMIN)),
        (Q(pk__in=collaborations.values("repository_id")), Subquery(collab_level)),
        (Q(pk__in=team_grants.values("repository_id")), Subquery(team_level)),
    ]


def _cached_rule() -> tuple[Q, object]:
    """What a pull-through cache holds is read by everyone signed in (its cached repositories
    are private exactly when its upstream's pull access is "signed_in", so the public rule
    covers anonymous readers of a public one)."""
    return (Q(namespace__kind=Namespace.Kind.PROXY), Value(READ))


def proxy_pull_allowed(actor, upstream) -> bool:
    """Whether ``actor`` may pull through ``upstream`` (and so make Wharf fetch from it):
    anyone signed in, robots included; anonymous callers only where its pull access is public."""
    actor = as_actor(actor)
    if not actor.allows("read"):
        return False
    return upstream.pull_access == "public" or not actor.is_anonymous


def repositories_visible(actor, queryset=None):
    """The repositories ``actor`` may read: public ones and those a rule gives them."""
    actor = as_actor(actor)
    queryset = Repository.objects.all() if queryset is None else queryset
    if actor.is_staff:
        return queryset
    covered = Q()
    for where, _ in _rules(actor):
        covered |= where
    return queryset.filter(covered)


def _level_expression(actor: Actor):
    if actor.is_staff:
        return Value(ADMIN)
    rules = _rules(actor)
    parts = [
        Case(When(where, then=Coalesce(level, Value(NONE))), default=Value(NONE))
        for where, level in rules
    ]
    if len(parts) == 1:
        return parts[0]
    return Greatest(*parts, output_field=IntegerField())


def repositories_with_access(actor, queryset=None):
    """``queryset`` with ``access_level`` annotated for ``actor``."""
    actor = as_actor(actor)
    queryset = Repository.objects.all() if queryset is None else queryset
    return queryset.annotate(access_level=_level_expression(actor))


def _quick_level(actor: Actor, repository: Repository) -> int | None:
    """The level when it needs no query (the same rules, on what the row already holds)."""
    public = NONE if repository.is_private else READ
    if actor.is_anonymous:
        return public
    if actor.is_staff:
        return ADMIN
    if repository.namespace.kind == Namespace.Kind.PROXY:
        return READ
    if actor.robot is not None:
        robot = actor.robot
        if repository.namespace_id == robot.namespace_id and robot.covers(repository.name):
            return max(public, _robot_level(robot))
        return public
    if repository.namespace.owner_id == actor.user.pk:
        return ADMIN
    if repository.namespace.kind == Namespace.Kind.LIBRARY:
        return public
    return None


def _granted_level(user_id: int, repository: Repository) -> int:
    """The highest level the person's memberships, teams and collaborations give on one
    repository: the rules of ``_rules`` for one row, as one small query.

    Hand-written SQL because this runs on the registry's hot path (a manifest HEAD by a team
    member), where composing and compiling the ORM's annotation cost more than the query itself.
    ``tests/orgs/test_permission_rules.py`` checks it agrees with ``_rules`` for every actor.
    """
    from orgs.models import Collaborator, Membership, TeamMember, TeamPermission

    sql = (
        "SELECT MAX(level) FROM ("
        f" SELECT {ADMIN} AS level FROM {Membership._meta.db_table}"
        "  WHERE namespace_id = %s AND user_id = %s AND role IN (%s, %s)"
        f" UNION ALL SELECT level FROM {Collaborator._meta.db_table}"
        "  WHERE repository_id = %s AND user_id = %s"
        f" UNION ALL SELECT p.level FROM {TeamPermission._meta.db_table} p"
        f"  JOIN {TeamMember._meta.db_table} m ON m.team_id = p.team_id"
        "  WHERE p.repository_id = %s AND m.user_id = %s"
        ") grants"
    )
    params = [repository.namespace_id, user_id, *MANAGERS]
    params += [repository.pk, user_id, repository.pk, user_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return int(row[0] or NONE) if row else NONE


def repository_level(actor, repository: Repository) -> int:
    """0–3 (see the module doc); at most one query, none when the row was annotated."""
    actor = as_actor(actor)
    level = getattr(repository, "access_level", None)
    if level is not None:
        return int(level)
    level = _quick_level(actor, repository)
    if level is None:
        public = NONE if repository.is_private else READ
        level = max(public, _granted_level(actor.user.pk, repository))
    repository.access_level = level
    return level


@dataclass(frozen=True)
class Access:
    """Docker Hub's ``permissions`` object, plus the registry's delete."""

    read: bool = False
    write: bool = False
    admin: bool = False
    delete: bool = False

    def as_dict(self) -> dict[str, bool]:
        return {"read": self.read, "write": self.write, "admin": self.admin}

    @property
    def registry_actions(self) -> frozenset[str]:
        actions = set()
        if self.read:
            actions.add("pull")
        if self.write:
            actions.add("push")
        if self.delete:
            actions.add("delete")
        return frozenset(actions)


def access_from_level(actor: Actor, level: int) -> Access:
    writes = actor.allows("write")
    return Access(
        read=level >= READ,
        write=level >= WRITE and writes,
        admin=level >= ADMIN and writes,
        delete=level >= WRITE and actor.allows("delete"),
    )


def repository_access(actor, repository: Repository) -> Access:
    """What ``actor`` may do to ``repository``: the answer every door uses."""
    actor = as_actor(actor)
    access = access_from_level(actor, repository_level(actor, repository))
    # A pull-through cache holds what its upstream has: nobody pushes into it; staff may evict.
    # No rule but staff's gives more than read there (the namespace has no owner, members or
    # robots), so only staff's answer needs the namespace's kind.
    if actor.is_staff and repository.namespace.kind == Namespace.Kind.PROXY:
        return Access(read=access.read, admin=access.admin, delete=access.admin)
    return access


# --- namespaces: creating repositories, and who to ask ---


def organization_role(user, namespace: Namespace) -> str | None:
    """The person's role in an organization, or None (one query)."""
    if user is None or not getattr(user, "is_authenticated", False) or not namespace.is_org:
        return None
    from orgs.models import Membership

    membership = Membership.objects.filter(namespace=namespace, user=user).first()
    return membership.role if membership else None


@dataclass(frozen=True)
class OrgAccess:
    """What an actor may do in an organization (staff: what an owner may)."""

    role: str | None = None
    member: bool = False  # sees its members and teams
    manage_repositories: bool = False  # owners and editors: repositories and team access
    owner: bool = False  # members, teams, robots, settings, deleting it


def organization_access(actor, org: Namespace) -> OrgAccess:
    actor = as_actor(actor)
    if actor.is_anonymous or actor.robot is not None or not org.is_org:
        return OrgAccess()
    role = "owner" if actor.is_staff else organization_role(actor.user, org)
    writes = actor.allows("write")
    return OrgAccess(
        role=role,
        member=role is not None,
        manage_repositories=role in MANAGERS and writes,
        owner=role == "owner" and writes,
    )


def may_create_in(actor, namespace: Namespace | None, namespace_name: str, name: str) -> bool:
    """Whether a first push (or the create form) may make ``namespace_name/name`` — the holder's
    right; callers narrow it by the credential's scope."""
    actor = as_actor(actor)
    if actor.is_anonymous:
        return False
    if actor.robot is not None:  # robots push to repositories that exist; people create them
        return False
    if namespace is not None and namespace.kind == Namespace.Kind.PROXY:
        return False  # its repositories come from its upstream, never from a push
    if namespace_name == LIBRARY or actor.is_staff:
        return actor.is_staff
    if namespace is None:
        return namespace_name == actor.user.username
    if namespace.kind == Namespace.Kind.USER:
        return namespace.owner_id == actor.user.pk
    return organization_role(actor.user, namespace) in MANAGERS


def creatable_namespaces(user) -> list[str]:
    """Namespaces a person may create repositories in: their own, organizations where they are
    an owner or editor, and ``library`` for staff."""
    from orgs.models import Membership

    if user is None or not user.is_authenticated or robot_of(user) is not None:
        return []
    names = [user.username]
    names += list(
        Membership.objects.filter(user=user, role__in=MANAGERS)
        .order_by("namespace__name")
        .values_list("namespace__name", flat=True)
    )
    if user.is_staff:
        names.append(LIBRARY)
    return names


def who_grants(namespace: Namespace | None, namespace_name: str) -> str:
    """Whom to ask for a right on a namespace's repositories, for error messages."""
    if namespace_name == LIBRARY:
        return "ask a staff member"
    if namespace is not None and namespace.is_org:
        return f"ask an owner of {namespace.name}"
    return f"ask {namespace_name}"
