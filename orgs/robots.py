"""Robot accounts: create, authenticate, revoke. A robot is ``<namespace>+<name>``."""

import re
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from hub.events import event_record
from hub.models import Namespace
from orgs.errors import OrgError
from orgs.models import Robot

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_]{0,29}$")
MAX_EXPIRY_DAYS = 3650
LAST_USED_GRANULARITY = timedelta(minutes=1)


def _clean_repositories(namespace: Namespace, repositories: list[str]) -> list[str]:
    from hub.registry import names
    from hub.registry.errors import NameInvalid

    if not repositories:
        raise OrgError(
            'Name the repositories it may use, or ["*"] for all of them.', "repositories"
        )
    if Robot.ALL in repositories:
        return [Robot.ALL]
    cleaned = []
    for name in repositories:
        try:
            names.split(f"{namespace.name}/{name}")
        except (NameInvalid, TypeError):
            raise OrgError(f"{name!r} is not a repository name.", "repositories") from None
        if name not in cleaned:
            cleaned.append(name)
    return cleaned


def _clean_actions(actions: list[str]) -> list[str]:
    if not actions:
        raise OrgError("Give it at least one action: pull, push or delete.", "actions")
    unknown = sorted(set(actions) - set(Robot.ACTIONS))
    if unknown:
        raise OrgError(f"Unknown actions: {', '.join(unknown)}; use pull, push, delete.", "actions")
    return [action for action in Robot.ACTIONS if action in actions]


@transaction.atomic
def robot_create(
    *,
    namespace: Namespace,
    name: str,
    created_by: User | None,
    repositories: list[str],
    actions: list[str],
    description: str = "",
    expires_in_days: int | None = None,
) -> tuple[Robot, str]:
    """A new robot and its secret, which is stored only as a hash and never shown again."""
    if not NAME_RE.match(name or ""):
        raise OrgError(
            "Robot names are 1–30 lowercase letters, digits and underscores, starting with a "
            "letter or digit.",
            "name",
        )
    if namespace.kind == Namespace.Kind.LIBRARY:
        raise OrgError("library/ has no robots.", "name")
    username = f"{namespace.name}+{name}"
    if User.objects.filter(username=username).exists():
        raise OrgError(f"There already is a robot {username}.", "name")
    expires_at = None
    if expires_in_days is not None:
        try:
            days = int(expires_in_days)
        except (TypeError, ValueError):
            days = 0
        if not 1 <= days <= MAX_EXPIRY_DAYS:
            raise OrgError(f"Expiry is 1 to {MAX_EXPIRY_DAYS} days, or none.", "expires_in_days")
        expires_at = timezone.now() + timedelta(days=days)
    user = User(username=username, is_active=True)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # a parallel request made it first
        raise OrgError(f"There already is a robot {username}.", "name") from None
    raw = Robot.PREFIX + secrets.token_urlsafe(30)
    robot = Robot.objects.create(
        user=user,
        namespace=namespace,
        name=name,
        description=(description or "").strip()[:200],
        repositories=_clean_repositories(namespace, list(repositories or [])),
        actions=_clean_actions(list(actions or [])),
        secret_start=raw[: len(Robot.PREFIX) + 4],
        secret_hash=Robot.hash(raw),
        expires_at=expires_at,
        created_by=created_by,
    )
    event_record(
        action="token.created",
        namespace=namespace.name,
        data={"token": username, "kind": "robot", "actions": robot.actions},
    )
    return robot, raw


@transaction.atomic
def robot_delete(*, robot: Robot) -> None:
    """Revoke at once: the robot and its account go, so the next request with it fails."""
    event_record(
        action="token.revoked",
        namespace=robot.namespace.name,
        data={"token": robot.user.username, "kind": "robot"},
    )
    User.objects.filter(pk=robot.user_id).delete()


def robot_authenticate(*, raw: str) -> Robot | None:
    """The live robot with this secret (its user attached), or None; records when it was used."""
    if not raw.startswith(Robot.PREFIX):
        return None
    robot = (
        Robot.objects.select_related("user", "namespace")
        .filter(secret_hash=Robot.hash(raw), user__is_active=True)
        .first()
    )
    now = timezone.now()
    if robot is None or robot.is_expired(now):
        return None
    if robot.last_used_at is None or now - robot.last_used_at > LAST_USED_GRANULARITY:
        Robot.objects.filter(pk=robot.pk).update(last_used_at=now)
        robot.last_used_at = now
    robot.user.robot = robot  # so hub.permissions finds it without a query
    return robot
