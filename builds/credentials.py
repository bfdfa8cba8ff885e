"""A build's registry credentials: one per phase, living no longer than the phase.

A build talks to the registry twice: to pull its base images (before any RUN step runs) and to
push its result (after the last one). Each phase gets a credential of its own, written to the
build's auth file just before and revoked just after: while RUN steps run, no credential of the
build works, and none does once the build has ended, however it ended (the reaper's final state
revokes too). Revocation is the build row's ``credential_jti``: a credential works only while it
names that id and the build runs, checked again on every token request and every registry call.

What a credential allows is what the person who started the build may do, never more: pulls of
what that person may pull (so a private base image needs their read access, checked when the
build pulls it), and in the push phase a push to the build's own repository if they may push
it. Webhook builds act for whoever last configured the repository's builds (an admin of it),
never for the namespace's owner: admin on one repository gives no one the owner's rights.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings

from builds.models import Build
from hub.registry import names, tokens
from hub.registry.access import ALL, allowed_actions
from hub.registry.errors import NameInvalid

PULL, PUSH = "pull", "push"
PHASE_ACTIONS = {PULL: frozenset({"pull"}), PUSH: frozenset({"pull", "push"})}


def issue(build: Build, *, phase: str, ttl: int) -> str:
    """A new credential for ``phase`` of a running build; any earlier one stops working."""
    credential_id = uuid.uuid4().hex
    Build.objects.filter(pk=build.pk, status__in=Build.RUNNING).update(credential_jti=credential_id)
    build.credential_jti = credential_id
    return tokens.sign_build_credential(
        build_id=build.pk,
        credential_id=credential_id,
        repository=build.repository.full_name,
        phase=phase,
        ttl=max(int(ttl), 30),
    )


def revoke(build: Build) -> None:
    Build.objects.filter(pk=build.pk).update(credential_jti="")
    build.credential_jti = ""


def is_active(build_id: int, credential_id: str) -> bool:
    return (
        bool(credential_id)
        and Build.objects.filter(
            pk=build_id, credential_jti=credential_id, status__in=Build.RUNNING
        ).exists()
    )


@dataclass(frozen=True)
class BuildCaller:
    claims: tokens.BuildClaims
    user: object  # the account the build acts for; None: nobody's rights (see acting_for)

    @property
    def grant_id(self) -> str:
        return f"{self.claims.build_id}:{self.claims.credential_id}"


def acting_for(build: Build):
    """Whose rights a build has: who started it, or for a webhook build who last configured
    what the repository builds (``BuildSettings.configured_by``); None: nobody's, its own
    repository and public images only."""
    if build.triggered_by_id is not None:
        return build.triggered_by
    settings_row = getattr(build.repository, "build_settings", None)
    return settings_row.configured_by if settings_row is not None else None


def authenticate(secret: str) -> BuildCaller | None:
    """The build a credential stands for, if it is the working one of a running build."""
    claims = tokens.read_build_credential(secret)
    if claims is None:
        return None
    build = (
        Build.objects.select_related(
            "triggered_by", "repository__namespace", "repository__build_settings__configured_by"
        )
        .filter(pk=claims.build_id, credential_jti=claims.credential_id, status__in=Build.RUNNING)
        .first()
    )
    if build is None or build.repository.full_name != claims.repository:
        return None
    user = acting_for(build)
    if user is not None and not user.is_active:
        return None
    return BuildCaller(claims, user)


def access_for(caller: BuildCaller, scopes: list[tokens.Scope]) -> list[dict]:
    """The token's access: each asked scope intersected with the phase and the person's rights."""
    granted = []
    for scope in scopes:
        if scope.type != "repository":
            continue
        try:
            name = names.canonical(scope.name)
        except NameInvalid:
            continue
        own = name == caller.claims.repository
        if caller.user is None:  # nobody's rights: its own repository, public pulls
            rights = ALL if own else allowed_actions(None, name)
        else:
            rights = allowed_actions(caller.user, name)
        phase = PHASE_ACTIONS.get(caller.claims.phase, frozenset())
        if not own:
            phase = phase & {"pull"}
        wanted = set(tokens.ALL_ACTIONS) if "*" in scope.actions else set(scope.actions)
        actions = sorted(wanted & rights & phase)
        granted.append({"type": "repository", "name": scope.name, "actions": actions})
    return granted


def remaining_ttl(deadline_seconds: float) -> int:
    """A credential's life: until the build's own deadline at most."""
    return int(min(max(deadline_seconds, 30), settings.WHARF_BUILD_TIMEOUT))
