"""Who may do what in the registry, and who is calling.

Rights per repository: the namespace's owner pulls, pushes and deletes; staff do everything
everywhere (``library/`` included); everyone, anonymous too, pulls public repositories. A
personal access token narrows that to its scope. Private repositories do not exist for others:
they get 401 (anonymous) or 404, never a hint of what is inside.
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
from accounts.services import access_token_authenticate
from hub.models import LIBRARY, Repository
from hub.registry import names, tokens
from hub.registry.errors import Denied, NameUnknown, TooManyRequests, Unauthorized, Unavailable

ALL = frozenset(tokens.ALL_ACTIONS)
TOKEN_SCOPE_ACTIONS = {
    AccessToken.Scope.READ: frozenset({"pull"}),
    AccessToken.Scope.READ_WRITE: frozenset({"pull", "push"}),
    AccessToken.Scope.READ_WRITE_DELETE: ALL,
}


def repository_lookup(full_name: str) -> Repository | None:
    namespace, name = names.split(full_name)
    return (
        Repository.objects.select_related("namespace", "namespace__owner")
        .filter(namespace__name=namespace, name=name)
        .first()
    )


def allowed_actions(user: User | None, full_name: str) -> frozenset[str]:
    """What ``user`` (None: anonymous) may do to the repository, existing or not yet."""
    namespace, _ = names.split(full_name)
    if user is not None and user.is_staff:
        return ALL
    if user is not None and namespace == user.username and namespace != LIBRARY:
        return ALL
    repo = repository_lookup(full_name)
    if repo is not None and not repo.is_private:
        return frozenset({"pull"})
    return frozenset()


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
    token_scope: str = ""  # personal access token scope, when one authenticated the call
    _cache: dict = field(default_factory=dict)

    @property
    def limit(self) -> frozenset[str]:
        return TOKEN_SCOPE_ACTIONS[self.token_scope] if self.token_scope else ALL

    def actual_actions(self, full_name: str) -> frozenset[str]:
        """The caller's rights now, whatever their token says."""
        if full_name not in self._cache:
            self._cache[full_name] = allowed_actions(self.user, full_name) & self.limit
        return self._cache[full_name]

    def can(self, full_name: str, action: str) -> bool:
        if self.grant is not None:
            return self.grant.allows("repository", full_name, action)
        # Basic auth straight to /v2/ (curl -u): rights are checked live.
        return action in self.actual_actions(full_name)


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
        else:
            user = django_authenticate(request, username=username, password=secret)
            if user is not None:
                login_failures_clear(login=username, address=address)
                return user, None
        login_failure_record(login=username, address=address)
    except RateLimitUnavailable as exc:
        raise Unavailable(str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
    raise Unauthorized("incorrect username, password or access token", headers=challenge())


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
    """The caller of a /v2/ request: anonymous, a bearer token's subject, or Basic credentials."""
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
            # One query for both: the account is active and its access token is not revoked.
            pat = (
                AccessToken.objects.active()
                .select_related("user")
                .filter(uuid=grant.pat, user__username=grant.subject)
                .first()
            )
            if pat is None:
                raise Unauthorized(
                    "the access token this was issued for has been revoked, or its account "
                    "disabled",
                    headers=challenge(),
                )
            caller.user, caller.token_scope = pat.user, pat.scope
        elif grant.subject:
            caller.user = User.objects.filter(username=grant.subject, is_active=True).first()
            if caller.user is None:
                raise Unauthorized("this token's account is gone or disabled", headers=challenge())
        return caller
    credentials = basic_credentials(header)
    if credentials is None:
        raise Unauthorized("unsupported Authorization scheme; use Bearer", headers=challenge())
    user, token = credentials_check(request, *credentials)
    return Caller(user=user, token_scope=token.scope if token else "")


def _denied_message(caller: Caller, full_name: str, action: str) -> str:
    user = caller.user
    namespace, name = names.split(full_name)
    if action in allowed_actions(user, full_name) and action not in caller.limit:
        label = AccessToken.Scope(caller.token_scope).label
        return f"this access token is {label}; it cannot {action}. Use a token with a wider scope."
    if action == "push" and namespace == LIBRARY:
        return (
            f"pushing to the official library namespace is for staff only; "
            f"push to your own namespace instead: {user.username}/{name}"
        )
    if action == "push":
        return (
            f"you may push only to your own namespace ({user.username}/…), "
            f"not to {namespace}/; try {user.username}/{name}"
        )
    return f"you may not {action} in {namespace}/"


def require(caller: Caller, full_name: str, action: str, *, scope_actions: str = "") -> None:
    """Raise the right error unless the caller may ``action`` the repository ``full_name``.

    Missing rights mean: anonymous → 401 with a challenge (log in); a token that lacks a right
    its holder has → 401 (fetch a wider token); pull of something invisible → 404; push/delete
    the holder may not do → 403 DENIED saying where they may push.
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
    if action == "pull" and "pull" not in allowed_actions(caller.user, full_name):
        raise NameUnknown(detail={"name": full_name})
    raise Denied(_denied_message(caller, full_name, action), detail={"name": full_name})
