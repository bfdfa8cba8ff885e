"""Who is calling the registry, and whether they may do what they ask.

Rights come from ``hub.permissions`` (the one place that decides them), narrowed by the caller's
credential: a personal access token's scope, a robot's actions. Tokens already issued are
re-checked on every request against those rights now, so a revoked robot, a removed member or a
team that lost access fails at once. Private repositories do not exist for others: they get 401
(anonymous) or 404, never a hint of what is inside.
"""

import base64
import binascii
from dataclasses import dataclass, field

import jwt
from django.contrib.auth import authenticate as django_authenticate

from accounts.models import AccessToken, User
from accounts.ratelimit import (
    RateLimitUnavailable,
    login_failure_record,
    login_failures_clear,
    login_lockout,
)
from accounts.selectors import access_token_expired
from accounts.services import access_token_authenticate
from hub import permissions
from hub.models import LIBRARY, Namespace, Repository
from hub.registry import names, tokens
from hub.registry.errors import Denied, NameUnknown, TooManyRequests, Unauthorized, Unavailable
from orgs.models import Robot
from orgs.robots import robot_authenticate
from proxy.selectors import mirror_upstream

ALL = frozenset(tokens.ALL_ACTIONS)
PULL = frozenset({"pull"})
SCOPE_ACTIONS = {"read": "pull", "write": "push", "delete": "delete"}


def repository_lookup(full_name: str) -> Repository | None:
    namespace, name = names.split(full_name)
    return (
        Repository.objects.select_related("namespace", "namespace__owner")
        .filter(namespace__name=namespace, name=name)
        .first()
    )


def scope_actions(actor: permissions.Actor) -> frozenset[str]:
    """The registry actions a credential's scope leaves (all, without a scoped credential)."""
    if actor.scope is None:
        return ALL
    return frozenset(SCOPE_ACTIONS[right] for right in actor.scope if right in SCOPE_ACTIONS)


def allowed_actions(actor, full_name: str, repo: Repository | None = None) -> frozenset[str]:
    """What ``actor`` may do to the repository, existing or not yet (a first push creates it)."""
    actor = permissions.as_actor(actor)
    if repo is None:
        repo = repository_lookup(full_name)
    if repo is not None:
        return permissions.repository_access(actor, repo).registry_actions
    namespace_name, name = names.split(full_name)
    namespace = Namespace.objects.filter(name=namespace_name).first()
    if namespace is not None and namespace.kind == Namespace.Kind.PROXY:
        # Not cached yet: pulling it is what fetches it (proxy.routes).
        upstream = getattr(namespace, "upstream", None)
        if upstream is not None and permissions.proxy_pull_allowed(actor, upstream):
            return PULL
        return frozenset()
    actions = frozenset()
    if permissions.may_create_in(actor, namespace, namespace_name, name):
        actions = ALL & scope_actions(actor)
    if namespace is None or namespace_name == LIBRARY:
        # Wharf has no such repository: the default mirror may (dockerd's registry-mirrors).
        mirror = mirror_upstream()
        if mirror is not None and permissions.proxy_pull_allowed(actor, mirror):
            actions |= PULL
    return actions


def challenge(scope: str = "", error: str = "") -> dict:
    value = f'Bearer realm="{tokens.realm()}",service="{tokens.service_name()}"'
    if scope:
        value += f',scope="{scope}"'
    if error:
        value += f',error="{error}"'
    return {"WWW-Authenticate": value}


@dataclass
class Caller:
    """The identity behind a request and what it was granted."""

    user: User | None = None
    grant: tokens.Grant | None = None  # from a bearer token
    token: AccessToken | None = None  # the personal access token it authenticated with
    actor: permissions.Actor = field(default_factory=permissions.Actor)
    _repos: dict = field(default_factory=dict)
    _actions: dict = field(default_factory=dict)

    @property
    def limit(self) -> frozenset[str]:
        return scope_actions(self.actor)

    def repository(self, full_name: str) -> Repository | None:
        """The repository, looked up once per request (its level for this caller kept on it)."""
        if full_name not in self._repos:
            self._repos[full_name] = repository_lookup(full_name)
        return self._repos[full_name]

    def actual_actions(self, full_name: str) -> frozenset[str]:
        """The caller's rights now, whatever their token says."""
        if full_name not in self._actions:
            self._actions[full_name] = allowed_actions(
                self.actor, full_name, self.repository(full_name)
            )
        return self._actions[full_name]

    def can(self, full_name: str, action: str) -> bool:
        if self.grant is not None:
            if not self.grant.allows("repository", full_name, action):
                return False
            if self.grant.build:  # a build's grant was decided for its phase (builds.credentials)
                return True
        return action in self.actual_actions(full_name)


def _caller(user: User, token: AccessToken | None = None) -> Caller:
    return Caller(user=user, token=token, actor=permissions.as_actor(user, token))


def credentials_check(request, username: str, secret: str) -> tuple[User, AccessToken | None]:
    """(user, access token or None) for HTTP Basic credentials: a password or an access token.

    Failures count towards the same lockout as the sign-in form, so the registry is no back door
    for guessing passwords; without Redis to count them, no credentials are checked (503).
    """
    address = request.META.get("REMOTE_ADDR", "")
    try:
        if login_lockout(login=username, address=address).locked:
            raise TooManyRequests("too many failed logins; try again later")
        if secret.startswith(AccessToken.PREFIX):
            token = access_token_authenticate(raw=secret)
            if token is not None and token.user.username == username:
                login_failures_clear(login=username, address=address)
                return token.user, token
            expired = access_token_expired(raw=secret) if token is None else None
            if expired is not None and expired.user.username == username:
                login_failure_record(login=username, address=address)  # as a revoked one counts
                raise Unauthorized(expired_message(expired), headers=challenge())
        elif secret.startswith(Robot.PREFIX):
            robot = robot_authenticate(raw=secret)
            if robot is not None and robot.user.username == username:
                login_failures_clear(login=username, address=address)
                return robot.user, None
        elif "+" not in username:  # robots have no password
            user = django_authenticate(request, username=username, password=secret)
            if user is not None:
                login_failures_clear(login=username, address=address)
                return user, None
        login_failure_record(login=username, address=address)
    except RateLimitUnavailable as exc:
        raise Unavailable(str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
    raise Unauthorized("incorrect username, password or access token", headers=challenge())


def expired_message(token: AccessToken) -> str:
    return (
        f"access token “{token.description}” expired on {token.expires_at:%Y-%m-%d}; "
        "create a new one under Settings → Access tokens"
    )


def basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, sep, secret = (
            base64.b64decode(value.strip(), validate=True).decode().partition(":")
        )
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized("malformed Basic credentials", headers=challenge()) from None
    if not sep:
        raise Unauthorized("malformed Basic credentials", headers=challenge())
    return username, secret


def authenticate(request) -> Caller:
    """The caller of a /v2/ request: anonymous, a bearer token's subject, or Basic credentials.

    Left on the request too: events recorded while answering are by this caller."""
    caller = _authenticate(request)
    request.registry_caller = caller
    return caller


def _authenticate(request) -> Caller:
    header = request.headers.get("Authorization", "")
    if not header:
        return Caller()
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        try:
            grant = tokens.verify(value.strip())
        except jwt.InvalidTokenError as exc:
            raise Unauthorized(
                f"invalid or expired token: {exc}", headers=challenge(error="invalid_token")
            ) from None
        return caller_for_grant(grant)
    credentials = basic_credentials(header)
    if credentials is None:
        raise Unauthorized("unsupported Authorization scheme; use Bearer", headers=challenge())
    user, token = credentials_check(request, *credentials)
    return _caller(user, token)


def caller_for_grant(grant: tokens.Grant) -> Caller:
    """The caller a verified bearer token stands for now; Unauthorized when its build step has
    ended, its access token was revoked or has expired, or its account or robot is gone or
    disabled."""
    caller = Caller(grant=grant)
    if grant.build:
        from builds.credentials import is_active  # a build's token ends with its phase

        build_id, _, credential_id = grant.build.partition(":")
        if not build_id.isdigit() or not is_active(int(build_id), credential_id):
            raise Unauthorized(
                "the build this token was issued to has finished this step",
                headers=challenge(error="invalid_token"),
            )
    if grant.subject and grant.pat:
        # One query for all: the account is active, its access token neither revoked nor expired.
        pat = (
            AccessToken.objects.active()
            .select_related("user")
            .filter(uuid=grant.pat, user__username=grant.subject)
            .first()
        )
        if pat is None:
            raise Unauthorized(
                "the access token this was issued for has expired or been revoked, or its account "
                "disabled",
                headers=challenge(),
            )
        caller.user, caller.actor = pat.user, permissions.as_actor(pat.user, pat)
        caller.token = pat
    elif grant.subject:
        caller.user = robot_or_user(grant.subject, robot_id=grant.robot)
        if caller.user is None:
            raise Unauthorized(
                "this token's account is gone, disabled or revoked", headers=challenge()
            )
        caller.actor = permissions.as_actor(caller.user)
    return caller


def robot_or_user(username: str, robot_id: int = 0) -> User | None:
    """The active account a token names; a robot only while it is the very robot the token was
    issued to (not a new one given the name since) and neither revoked nor expired."""
    if "+" not in username:
        return User.objects.filter(username=username, is_active=True).first()
    user = User.objects.select_related("robot").filter(username=username, is_active=True).first()
    robot = permissions.robot_of(user)
    if robot is None or robot.pk != robot_id or robot.is_expired():
        return None
    return user


RIGHT_NEEDED = {"pull": "read", "push": "write", "delete": "write"}


def _denied_message(caller: Caller, full_name: str, action: str) -> str:
    """Which right is missing, and who can grant it."""
    actor, user = caller.actor, caller.user
    namespace_name, name = names.split(full_name)
    repo = caller.repository(full_name)
    namespace = repo.namespace if repo else Namespace.objects.filter(name=namespace_name).first()
    if repo is not None and "pull" not in caller.actual_actions(full_name):
        repo = None  # what one may not see must read as missing
    if namespace is not None and namespace.kind == Namespace.Kind.PROXY and action == "push":
        upstream = getattr(namespace, "upstream", None)
        source = f" of {upstream.url}" if upstream is not None else ""
        mine = f"; push to your own namespace instead: {user.username}/{name}" if user else ""
        return (
            f"{namespace_name}/ is a pull-through cache{source}: its images come from there "
            f"and cannot be pushed{mine}"
        )
    who = permissions.who_grants(namespace, namespace_name)
    if actor.robot is not None:
        robot = actor.robot
        if action not in robot.actions:
            given = ", ".join(robot.actions) or "nothing"
            return f"robot {robot.full_name} may only {given}, not {action}; {who} for one that may"
        if namespace is None or namespace.pk != robot.namespace_id:
            return (
                f"robot {robot.full_name} may only use repositories of "
                f"{robot.namespace.name}/, not {full_name}"
            )
        if repo is None:
            return (
                f"robot {robot.full_name} may not create {full_name}: robots push only to "
                f"repositories that exist; {who} to create it"
            )
        return (
            f"robot {robot.full_name} may not {action} {full_name}: it is not one of its "
            f"repositories; {who} to add it"
        )
    if actor.scope is not None:
        holder = permissions.Actor(user=user)
        if action in allowed_actions(holder, full_name, repo):
            label = AccessToken.Scope(_scope_label(actor.scope)).label
            return (
                f"this access token is {label}; it cannot {action}. Use a token with a wider scope."
            )
    if namespace_name == LIBRARY:
        return (
            "pushing to the official library namespace is for staff only; "
            f"push to your own namespace instead: {user.username}/{name}"
        )
    if repo is None and action != "push":
        return f"you may not {action} in {namespace_name}/"
    if repo is None and namespace is not None and namespace.is_org:
        return (
            f"creating repositories in {namespace_name}/ needs the owner or editor role there; "
            f"{who}, or push to your own namespace: {user.username}/{name}"
        )
    if repo is None:
        return (
            f"you may push only to your own namespace ({user.username}/…) and to organizations "
            f"where you are an owner or editor, not to {namespace_name}/; "
            f"try {user.username}/{name}"
        )
    return (
        f"{action} on {full_name} needs {RIGHT_NEEDED[action]} access, which {user.username} "
        f"does not have; {who}"
    )


def _scope_label(scope: frozenset[str]) -> str:
    for value, grants in AccessToken.GRANTS.items():
        if grants == scope:
            return value
    return AccessToken.Scope.READ


def require(caller: Caller, full_name: str, action: str, *, scope_actions: str = "") -> None:
    """Raise the right error unless the caller may ``action`` the repository ``full_name``.

    Missing rights mean: anonymous → 401 with a challenge (log in); a token that lacks a right
    its holder has → 401 (fetch a wider token); pull of something invisible → 404; push/delete
    the holder may not do → 403 DENIED saying which right is missing and who can grant it.
    """
    names.split(full_name)  # NAME_INVALID before anything else
    if caller.can(full_name, action):
        return
    scope = f"repository:{full_name}:{scope_actions or action}"
    if caller.user is None:
        raise Unauthorized(headers=challenge(scope))
    actual = caller.actual_actions(full_name)
    if action in actual and caller.grant is not None:
        raise Unauthorized(
            "token does not grant this action", headers=challenge(scope, "insufficient_scope")
        )
    if action == "pull":
        raise NameUnknown(detail={"name": full_name})
    raise Denied(_denied_message(caller, full_name, action), detail={"name": full_name})
