"""Who besides a namespace's owner may touch its repositories.

Organizations are namespaces of kind ``org`` (``hub.Namespace``); their people are members with
a role, grouped in teams that hold a permission per repository. A user's own repositories take
collaborators instead. Robots are machine accounts owned by a namespace (``acme+ci``). What all
of this adds up to is decided in one place: ``hub.permissions``.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    """Docker Hub's core organization roles."""

    OWNER = "owner", "Owner"  # everything: members, teams, robots, settings, deleting it
    EDITOR = "editor", "Editor"  # creates and deletes repositories, manages team access to them
    MEMBER = "member", "Member"  # sees the organization; other rights only through teams


class Level(models.IntegerChoices):
    """A permission on one repository; each includes the ones below it."""

    READ = 1, "read"  # see and pull a private repository
    WRITE = 2, "write"  # push, manage tags, trigger builds
    ADMIN = 3, "admin"  # settings, visibility, description, permissions, delete

    @classmethod
    def from_name(cls, name: str) -> "Level":
        for level in cls:
            if level.label == name:
                return level
        raise ValueError(name)


class Membership(models.Model):
    namespace = models.ForeignKey(
        "hub.Namespace", on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["namespace", "user"], name="orgs_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} is {self.role} of {self.namespace_id}"


class Team(models.Model):
    namespace = models.ForeignKey("hub.Namespace", on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=50)
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TeamMember", related_name="teams"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["namespace", "name"], name="orgs_team_unique")
        ]

    def __str__(self) -> str:
        return f"{self.namespace_id}/{self.name}"


class TeamMember(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="team_members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="orgs_teammember_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.team_id}"


class TeamPermission(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="permissions")
    repository = models.ForeignKey(
        "hub.Repository", on_delete=models.CASCADE, related_name="team_permissions"
    )
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.READ)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "repository"], name="orgs_teamperm_unique")
        ]
        indexes = [models.Index(fields=["repository", "team"], name="orgs_teamperm_repo_idx")]

    def __str__(self) -> str:
        return f"{self.team_id} {self.get_level_display()} {self.repository_id}"


class Collaborator(models.Model):
    """Another user with a permission on a user's own repository."""

    repository = models.ForeignKey(
        "hub.Repository", on_delete=models.CASCADE, related_name="collaborators"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collaborations"
    )
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.READ)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repository", "user"], name="orgs_collaborator_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.get_level_display()} {self.repository_id}"


class Robot(models.Model):
    """A machine account, ``<namespace>+<name>``: a secret with a fixed set of rights.

    Each robot is backed by a User row of that name (no usable password, never a page session),
    so builds, tokens and the registry see an account like any other; what it may do comes from
    here alone, never from memberships.
    """

    PREFIX = "whf_robot_"
    ALL = "*"
    ACTIONS = ("pull", "push", "delete")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="robot"
    )
    namespace = models.ForeignKey("hub.Namespace", on_delete=models.CASCADE, related_name="robots")
    name = models.CharField(max_length=30)
    description = models.CharField(max_length=200, blank=True)
    # Repository names in the namespace, or ["*"] for all of them, present and future.
    repositories = models.JSONField(default=list)
    actions = models.JSONField(default=list)
    secret_start = models.CharField(max_length=20)
    secret_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="robots_created",
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["namespace", "name"], name="orgs_robot_unique")
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return self.user.username

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @property
    def all_repositories(self) -> bool:
        return self.ALL in self.repositories

    def covers(self, repository_name: str) -> bool:
        return self.all_repositories or repository_name in self.repositories

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def scope(self) -> frozenset[str]:
        """What its requests may do, in access-token terms (read, write, delete)."""
        granted = {"read"}
        if "push" in self.actions:
            granted.add("write")
        if "delete" in self.actions:
            granted.add("delete")
        return frozenset(granted)

    def grants(self, action: str) -> bool:
        return action in self.scope
