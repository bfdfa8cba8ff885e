"""A repository's Permissions: teams (organizations' repositories) and collaborators (users'
own repositories) with read, write or admin. Managed, and listed, by the repository's admins."""

from django.http import Http404
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import exceptions, generics, serializers, status
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import TokenScopeAllows
from hub.api.common import USERNAME_PATTERN, repository_for_admin
from hub.api.schema import VALIDATION
from hub.models import Repository
from orgs import services
from orgs.api.common import (
    REPOSITORY_ERRORS,
    TEAM_PARAMETER,
    StrictSerializer,
    org_error,
    path_parameter,
)
from orgs.api.serializers import PERMISSIONS, CollaboratorSerializer, RepositoryGroupSerializer
from orgs.errors import OrgError
from orgs.models import Collaborator, Team, TeamPermission
from orgs.selectors import repository_collaborators, repository_team_permissions

TEAMS_ONLY = (
    "Teams are for organizations' repositories; give people access to a user's repository as "
    "collaborators."
)
COLLABORATOR_PARAMETER = path_parameter("username", USERNAME_PATTERN, "The collaborator.")


def _team_for(repository: Repository, name: str, *, field: str | None = None) -> Team:
    """The repository's organization's team: 400 on ``field`` when named in the body, else 404."""
    if not repository.namespace.is_org:
        if field:
            raise exceptions.ValidationError({field: [TEAMS_ONLY]})
        raise Http404(TEAMS_ONLY)
    team = Team.objects.filter(namespace_id=repository.namespace_id, name=name).first()
    if team is None:
        message = f"{repository.namespace.name} has no team {name!r}."
        if field:
            raise exceptions.ValidationError({field: [message]})
        raise Http404(message)
    return team


def _grant(repository: Repository, team: Team) -> TeamPermission:
    grant = TeamPermission.objects.filter(repository=repository, team=team).first()
    if grant is None:
        raise Http404(f"{team.name} has no permission on {repository.full_name}.")
    grant.team = team
    return grant


def _collaborator(repository: Repository, username: str) -> Collaborator:
    row = repository_collaborators(repository=repository).filter(user__username=username).first()
    if row is None:
        raise Http404(f"{username} is not a collaborator on {repository.full_name}.")
    return row


@extend_schema_serializer(component_name="RepositoryPermissionUpdate")
class PermissionInput(StrictSerializer):
    permission = serializers.ChoiceField(choices=PERMISSIONS)


class RepositoryGroupListApi(generics.GenericAPIView):
    """``/api/v2/repositories/{namespace}/{name}/groups/``: teams' permissions on it."""

    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]
    serializer_class = RepositoryGroupSerializer

    @extend_schema_serializer(component_name="RepositoryGroupGrant")
    class InputSerializer(StrictSerializer):
        group_name = serializers.CharField(max_length=50, help_text="A team of the organization.")
        permission = serializers.ChoiceField(choices=PERMISSIONS)

    @extend_schema(
        summary="List the teams with a permission on a repository",
        description="The repository's admins only. A user's repository has none.",
        tags=["permissions"],
        responses={200: RepositoryGroupSerializer(many=True), **REPOSITORY_ERRORS},
    )
    def get(self, request, namespace, name):
        repository = repository_for_admin(request, namespace, name)
        page = self.paginate_queryset(repository_team_permissions(repository=repository))
        return self.get_paginated_response(RepositoryGroupSerializer(page, many=True).data)

    @extend_schema(
        summary="Give a team a permission on a repository",
        description="An organization's repositories only; giving it again changes it.",
        tags=["permissions"],
        request=InputSerializer,
        responses={201: RepositoryGroupSerializer, 400: VALIDATION, **REPOSITORY_ERRORS},
    )
    def post(self, request, namespace, name):
        repository = repository_for_admin(request, namespace, name)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        team = _team_for(repository, data["group_name"], field="group_name")
        try:
            grant = services.team_permission_set(
                repository=repository, team=team, permission=data["permission"]
            )
        except OrgError as error:
            raise org_error(error) from None
        body = RepositoryGroupSerializer(grant).data
        return Response(body, status=status.HTTP_201_CREATED)


class RepositoryGroupDetailApi(APIView):
    """``/api/v2/repositories/{namespace}/{name}/groups/{team}/``: change or remove it."""

    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]

    @extend_schema(
        summary="Change a team's permission on a repository",
        tags=["permissions"],
        parameters=[TEAM_PARAMETER],
        request=PermissionInput,
        responses={200: RepositoryGroupSerializer, 400: VALIDATION, **REPOSITORY_ERRORS},
    )
    def patch(self, request, namespace, name, team):
        repository = repository_for_admin(request, namespace, name)
        grant = _grant(repository, _team_for(repository, team))
        serializer = PermissionInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            grant = services.team_permission_set(
                repository=repository,
                team=grant.team,
                permission=serializer.validated_data["permission"],
            )
        except OrgError as error:
            raise org_error(error) from None
        return Response(RepositoryGroupSerializer(grant).data)

    @extend_schema(
        summary="Take a team's permission on a repository away",
        tags=["permissions"],
        parameters=[TEAM_PARAMETER],
        request=None,
        responses={204: OpenApiResponse(description="Removed."), **REPOSITORY_ERRORS},
    )
    def delete(self, request, namespace, name, team):
        repository = repository_for_admin(request, namespace, name)
        grant = _grant(repository, _team_for(repository, team))
        services.team_permission_remove(repository=repository, team=grant.team)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CollaboratorListApi(generics.GenericAPIView):
    """``/api/v2/repositories/{namespace}/{name}/collaborators/``: other users with a
    permission on a user's own repository."""

    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]
    serializer_class = CollaboratorSerializer

    @extend_schema_serializer(component_name="RepositoryCollaboratorAdd")
    class InputSerializer(StrictSerializer):
        username = serializers.CharField(max_length=30)
        permission = serializers.ChoiceField(choices=PERMISSIONS)

    @extend_schema(
        summary="List a repository's collaborators",
        description="The repository's admins only. An organization's repository has none.",
        tags=["permissions"],
        responses={200: CollaboratorSerializer(many=True), **REPOSITORY_ERRORS},
    )
    def get(self, request, namespace, name):
        repository = repository_for_admin(request, namespace, name)
        page = self.paginate_queryset(repository_collaborators(repository=repository))
        return self.get_paginated_response(CollaboratorSerializer(page, many=True).data)

    @extend_schema(
        summary="Add a collaborator",
        description="Users' own repositories only (organizations use teams); adding someone "
        "again changes their permission.",
        tags=["permissions"],
        request=InputSerializer,
        responses={201: CollaboratorSerializer, 400: VALIDATION, **REPOSITORY_ERRORS},
    )
    def post(self, request, namespace, name):
        repository = repository_for_admin(request, namespace, name)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            row = services.collaborator_set(repository=repository, **serializer.validated_data)
        except OrgError as error:
            raise org_error(error) from None
        return Response(CollaboratorSerializer(row).data, status=status.HTTP_201_CREATED)


class CollaboratorDetailApi(APIView):
    """``/api/v2/repositories/{namespace}/{name}/collaborators/{username}/``."""

    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]

    @extend_schema(
        summary="Change a collaborator's permission",
        tags=["permissions"],
        parameters=[COLLABORATOR_PARAMETER],
        request=PermissionInput,
        responses={200: CollaboratorSerializer, 400: VALIDATION, **REPOSITORY_ERRORS},
    )
    def patch(self, request, namespace, name, username):
        repository = repository_for_admin(request, namespace, name)
        row = _collaborator(repository, username)
        serializer = PermissionInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            row = services.collaborator_set(
                repository=repository,
                username=row.user.username,
                permission=serializer.validated_data["permission"],
            )
        except OrgError as error:
            raise org_error(error) from None
        return Response(CollaboratorSerializer(row).data)

    @extend_schema(
        summary="Remove a collaborator",
        tags=["permissions"],
        parameters=[COLLABORATOR_PARAMETER],
        request=None,
        responses={204: OpenApiResponse(description="Removed."), **REPOSITORY_ERRORS},
    )
    def delete(self, request, namespace, name, username):
        repository = repository_for_admin(request, namespace, name)
        row = _collaborator(repository, username)
        services.collaborator_remove(repository=repository, username=row.user.username)
        return Response(status=status.HTTP_204_NO_CONTENT)
