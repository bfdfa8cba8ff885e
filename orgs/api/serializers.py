"""Output shapes of the organization API (Docker Hub's names where it has them)."""

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from orgs.models import Level, Role

PERMISSIONS = [level.label for level in Level]
ROLES = [role.value for role in Role]


def level_name(level: int) -> str:
    return Level(level).label


@extend_schema_serializer(component_name="Organization")
class OrganizationSerializer(serializers.Serializer):
    """An organization; ``role`` is the caller's (``caller_role`` set by the view)."""

    name = serializers.CharField()
    full_name = serializers.CharField()
    created = serializers.DateTimeField(source="created_at")
    role = serializers.SerializerMethodField(
        help_text="Your role in it (staff: owner); null if you are not a member."
    )

    @extend_schema_field(serializers.ChoiceField(choices=ROLES, allow_null=True))
    def get_role(self, org) -> str | None:
        return getattr(org, "caller_role", None)


@extend_schema_serializer(component_name="OrganizationMember")
class MemberSerializer(serializers.Serializer):
    """A membership, its user joined."""

    username = serializers.CharField(source="user.username")
    full_name = serializers.CharField(source="user.get_full_name")
    role = serializers.ChoiceField(choices=ROLES)
    joined = serializers.DateTimeField(source="created_at")


@extend_schema_serializer(component_name="Group")
class TeamSerializer(serializers.Serializer):
    """A team (Docker Hub calls them groups)."""

    name = serializers.CharField()
    description = serializers.CharField()
    member_count = serializers.SerializerMethodField()
    created = serializers.DateTimeField(source="created_at")

    def get_member_count(self, team) -> int:
        return int(getattr(team, "member_count", 0) or 0)


@extend_schema_serializer(component_name="GroupRepositoryPermission")
class TeamRepositorySerializer(serializers.Serializer):
    """One repository a team holds a permission on."""

    repository = serializers.CharField(source="repository.full_name")
    permission = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ChoiceField(choices=PERMISSIONS))
    def get_permission(self, grant) -> str:
        return level_name(grant.level)


@extend_schema_serializer(component_name="GroupDetail")
class TeamDetailSerializer(TeamSerializer):
    """A team with its permissions on the repositories the caller may see."""

    repositories = serializers.SerializerMethodField()

    @extend_schema_field(TeamRepositorySerializer(many=True))
    def get_repositories(self, team) -> list[dict]:
        return TeamRepositorySerializer(self.context.get("grants", []), many=True).data


@extend_schema_serializer(component_name="GroupMember")
class TeamMemberSerializer(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    full_name = serializers.CharField(source="user.get_full_name")
    added = serializers.DateTimeField(source="created_at")


@extend_schema_serializer(component_name="RepositoryGroup")
class RepositoryGroupSerializer(serializers.Serializer):
    """A team's permission on one repository."""

    group_name = serializers.CharField(source="team.name")
    permission = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ChoiceField(choices=PERMISSIONS))
    def get_permission(self, grant) -> str:
        return level_name(grant.level)


@extend_schema_serializer(component_name="RepositoryCollaborator")
class CollaboratorSerializer(serializers.Serializer):
    """Another user's permission on a user's own repository."""

    username = serializers.CharField(source="user.username")
    permission = serializers.SerializerMethodField()
    added = serializers.DateTimeField(source="created_at")

    @extend_schema_field(serializers.ChoiceField(choices=PERMISSIONS))
    def get_permission(self, collaborator) -> str:
        return level_name(collaborator.level)


@extend_schema_serializer(component_name="Robot")
class RobotSerializer(serializers.Serializer):
    """A robot account, never its secret."""

    name = serializers.CharField(source="full_name", help_text="What to log in with: acme+ci.")
    description = serializers.CharField()
    repositories = serializers.ListField(
        child=serializers.CharField(), help_text='Repository names, or ["*"] for all of them.'
    )
    actions = serializers.ListField(
        child=serializers.ChoiceField(choices=["pull", "push", "delete"])
    )
    created = serializers.DateTimeField(source="created_at")
    expires = serializers.DateTimeField(source="expires_at", allow_null=True)
    last_used = serializers.DateTimeField(source="last_used_at", allow_null=True)
    created_by = serializers.SerializerMethodField()

    def get_created_by(self, robot) -> str | None:
        return robot.created_by.username if robot.created_by_id else None


@extend_schema_serializer(component_name="RobotCreated")
class RobotCreatedSerializer(RobotSerializer):
    """A new robot, with its secret: shown in this answer only, stored as a hash."""

    secret = serializers.CharField(
        help_text="The password for `docker login -u acme+ci`; shown this once."
    )
