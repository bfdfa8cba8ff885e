"""An organization's teams (Docker Hub's "groups") and their members: members see them, owners
change them."""

from django.http import Http404
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import TokenScopeAllows
from hub.api.common import USERNAME_PATTERN
from hub.api.schema import VALIDATION
from hub.permissions import actor_from_request, repositories_visible
from orgs import services
from orgs.api.common import (
    ORG_ERRORS,
    ORG_PARAMETER,
    READ_ERRORS,
    TEAM_PARAMETER,
    StrictSerializer,
    org_error,
    org_for_member,
    org_for_owner,
    path_parameter,
)
from orgs.api.serializers import TeamDetailSerializer, TeamMemberSerializer, TeamSerializer
from orgs.errors import OrgError
from orgs.selectors import org_teams, team_get, team_members, team_repository_permissions

MEMBER_PARAMETER = path_parameter("username", USERNAME_PATTERN, "The team member's username.")


class TeamListApi(generics.GenericAPIView):
    """``/api/v2/orgs/{org}/groups/``: the teams; owners create one."""

    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]
    serializer_class = TeamSerializer

    @extend_schema_serializer(component_name="GroupCreate")
    class InputSerializer(StrictSerializer):
        name = serializers.CharField(
            max_length=50, help_text="Lowercase letters, digits, - and _; unique in the org."
        )
        description = serializers.CharField(max_length=200, allow_blank=True, default="")

    @extend_schema(
        summary="List an organization's teams",
        description="Members (and staff) only; 404 for others.",
        tags=["organizations"],
        parameters=[ORG_PARAMETER],
        responses={200: TeamSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request, org):
        namespace, _ = org_for_member(request, org)
        page = self.paginate_queryset(org_teams(org=namespace))
        return self.get_paginated_response(TeamSerializer(page, many=True).data)

    @extend_schema(
        summary="Create a team",
        description="Owners only.",
        tags=["organizations"],
        parameters=[ORG_PARAMETER],
        request=InputSerializer,
        responses={201: TeamSerializer, 400: VALIDATION, **ORG_ERRORS},
    )
    def post(self, request, org):
        namespace = org_for_owner(request, org)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            team = services.team_create(org=namespace, **serializer.validated_data)
        except OrgError as error:
            raise org_error(error) from None
        return Response(TeamSerializer(team).data, status=status.HTTP_201_CREATED)


class TeamDetailApi(APIView):
    """``/api/v2/orgs/{org}/groups/{team}/``: a team with its repository permissions; owners
    rename, describe or delete it."""

    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]

    @extend_schema_serializer(component_name="GroupUpdate")
    class InputSerializer(StrictSerializer):
        name = serializers.CharField(max_length=50, required=False)
        description = serializers.CharField(max_length=200, allow_blank=True, required=False)

    def _detail(self, request, namespace, name: str) -> Response:
        team = org_teams(org=namespace).filter(name=name).first()
        if team is None:
            raise Http404(f"No team {name} in {namespace.name}")
        # Only the repositories the caller may see: a permission must not reveal a private name.
        visible = repositories_visible(actor_from_request(request)).values("pk")
        grants = team_repository_permissions(team=team).filter(repository__in=visible)
        return Response(TeamDetailSerializer(team, context={"grants": grants}).data)

    @extend_schema(
        summary="Get a team with its repository permissions",
        description="Members (and staff) only. Lists the repositories you may see.",
        tags=["organizations"],
        parameters=[ORG_PARAMETER, TEAM_PARAMETER],
        responses={200: TeamDetailSerializer, **READ_ERRORS},
    )
    def get(self, request, org, team):
        namespace, _ = org_for_member(request, org)
        return self._detail(request, namespace, team)

    @extend_schema(
        summary="Rename a team or change its description",
        description="Owners only. Send only the fields to change.",
        tags=["organizations"],
        parameters=[ORG_PARAMETER, TEAM_PARAMETER],
        request=InputSerializer,
        responses={200: TeamDetailSerializer, 400: VALIDATION, **ORG_ERRORS},
    )
    def patch(self, request, org, team):
        namespace = org_for_owner(request, org)
        row = team_get(org=namespace, name=team)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            row = services.team_update(team=row, **serializer.validated_data)
        except OrgError as error:
            raise org_error(error) from None
        return self._detail(request, namespace, row.name)

    @extend_schema(
        summary="Delete a team",
        description="Owners only. Its members stay in the organization; its repository "
        "permissions go.",
        tags=["organizations"],
        parameters=[ORG_PARAMETER, TEAM_PARAMETER],
        request=None,
        responses={204: OpenApiResponse(description="Deleted."), **ORG_ERRORS},
    )
    def delete(self, request, org, team):
        namespace = org_for_owner(request, org)
        services.team_delete(team=team_get(org=namespace, name=team))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TeamMemberListApi(generics.GenericAPIView):
    """``/api/v2/orgs/{org}/groups/{team}/members/``: who is in it; owners add people."""

    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]
    serializer_class = TeamMemberSerializer

    @extend_schema_serializer(component_name="GroupMemberAdd")
    class InputSerializer(StrictSerializer):
        username = serializers.CharField(
            max_length=30, help_text="Someone not yet in the organization joins it as a member."
        )

    @extend_schema(
        summary="List a team's members",
        description="Members of the organization (and staff) only.",
        tags=["organizations"],
        parameters=[ORG_PARAMETER, TEAM_PARAMETER],
        responses={200: TeamMemberSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request, org, team):
        namespace, _ = org_for_member(request, org)
        row = team_get(org=namespace, name=team)
        page = self.paginate_queryset(team_members(team=row))
        return self.get_paginated_response(TeamMemberSerializer(page, many=True).data)

    @extend_schema(
        summary="Add someone to a team",
        description="Owners only.",
        tags=["organizations"],
        parameters=[ORG_PARAMETER, TEAM_PARAMETER],
        request=InputSerializer,
        responses={201: TeamMemberSerializer, 400: VALIDATION, **ORG_ERRORS},
    )
    def post(self, request, org, team):
        namespace = org_for_owner(request, org)
        row = team_get(org=namespace, name=team)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            member = services.team_member_add(team=row, **serializer.validated_data)
        except OrgError as error:
            raise org_error(error) from None
        return Response(TeamMemberSerializer(member).data, status=status.HTTP_201_CREATED)


class TeamMemberDetailApi(APIView):
    """``/api/v2/orgs/{org}/groups/{team}/members/{username}/``: owners take someone out."""

    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]

    @extend_schema(
        summary="Remove someone from a team",
        description="Owners only. They stay a member of the organization.",
        tags=["organizations"],
        parameters=[ORG_PARAMETER, TEAM_PARAMETER, MEMBER_PARAMETER],
        request=None,
        responses={204: OpenApiResponse(description="Removed."), **ORG_ERRORS},
    )
    def delete(self, request, org, team, username):
        namespace = org_for_owner(request, org)
        row = team_get(org=namespace, name=team)
        try:
            services.team_member_remove(team=row, username=username)
        except OrgError as error:
            raise Http404(error.message) from None
        return Response(status=status.HTTP_204_NO_CONTENT)
