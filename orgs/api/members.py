"""An organization's members: list (members), add, change role, remove (owners), leave (any)."""

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
from hub.api.common import USERNAME_PATTERN
from hub.api.schema import VALIDATION
from orgs import services
from orgs.api.common import (
    NOT_OWNER,
    ORG_ERRORS,
    ORG_PARAMETER,
    READ_ERRORS,
    StrictSerializer,
    org_error,
    org_for_member,
    org_for_owner,
    path_parameter,
)
from orgs.api.serializers import ROLES, MemberSerializer
from orgs.errors import OrgError
from orgs.selectors import org_members, org_membership

USERNAME_PARAMETER = path_parameter("username", USERNAME_PATTERN, "The member's username.")


class MemberListApi(generics.GenericAPIView):
    """``/api/v2/orgs/{org}/members/``: members see who is in it; owners add people."""

    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]
    serializer_class = MemberSerializer

    @extend_schema_serializer(component_name="OrganizationMemberAdd")
    class InputSerializer(StrictSerializer):
        username = serializers.CharField(max_length=30)
        role = serializers.ChoiceField(choices=ROLES, default="member")

    @extend_schema(
        summary="List an organization's members",
        description="Members (and staff) only; 404 for others.",
        tags=["organizations"],
        parameters=[ORG_PARAMETER],
        responses={200: MemberSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request, org):
        namespace, _ = org_for_member(request, org)
        page = self.paginate_queryset(org_members(org=namespace))
        return self.get_paginated_response(MemberSerializer(page, many=True).data)

    @extend_schema(
        summary="Add a member",
        description="Owners only. `role` is owner, editor or member (the default).",
        tags=["organizations"],
        parameters=[ORG_PARAMETER],
        request=InputSerializer,
        responses={201: MemberSerializer, 400: VALIDATION, **ORG_ERRORS},
    )
    def post(self, request, org):
        namespace = org_for_owner(request, org)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            membership = services.member_add(org=namespace, **serializer.validated_data)
        except OrgError as error:
            raise org_error(error) from None
        return Response(MemberSerializer(membership).data, status=status.HTTP_201_CREATED)


class MemberDetailApi(APIView):
    """``/api/v2/orgs/{org}/members/{username}/``: owners change a role or remove someone; any
    member removes themselves (leaves)."""

    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]

    @extend_schema_serializer(component_name="OrganizationMemberUpdate")
    class InputSerializer(StrictSerializer):
        role = serializers.ChoiceField(choices=ROLES)

    @extend_schema(
        summary="Change a member's role",
        description="Owners only. The last owner cannot step down: make someone else an owner "
        "first.",
        tags=["organizations"],
        parameters=[ORG_PARAMETER, USERNAME_PARAMETER],
        request=InputSerializer,
        responses={200: MemberSerializer, 400: VALIDATION, **ORG_ERRORS},
    )
    def patch(self, request, org, username):
        namespace = org_for_owner(request, org)
        membership = org_membership(org=namespace, username=username)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            membership = services.member_update(
                membership=membership, role=serializer.validated_data["role"]
            )
        except OrgError as error:
            raise org_error(error) from None
        return Response(MemberSerializer(membership).data)

    @extend_schema(
        summary="Remove a member, or leave",
        description="Owners remove anyone; every member may remove themselves. Also takes them "
        "out of the organization's teams. The last owner cannot leave.",
        tags=["organizations"],
        parameters=[ORG_PARAMETER, USERNAME_PARAMETER],
        request=None,
        responses={204: OpenApiResponse(description="Removed."), 400: VALIDATION, **ORG_ERRORS},
    )
    def delete(self, request, org, username):
        namespace, access = org_for_member(request, org, write=True)
        membership = org_membership(org=namespace, username=username)
        if membership.user_id != request.user.pk and not access.owner:
            raise exceptions.PermissionDenied(NOT_OWNER.format(org=namespace.name))
        try:
            services.member_remove(membership=membership)
        except OrgError as error:
            raise org_error(error) from None
        return Response(status=status.HTTP_204_NO_CONTENT)
