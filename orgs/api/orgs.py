"""Organizations: list one's own, create one, read, rename (full name) and delete one."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import TokenScopeAllows
from hub.api.schema import UNAUTHORIZED, VALIDATION
from hub.permissions import actor_from_request, organization_access
from orgs import services
from orgs.api.common import (
    ORG_ERRORS,
    ORG_PARAMETER,
    StrictSerializer,
    org_error,
    org_for_owner,
    org_public,
    refuse_robots,
)
from orgs.api.serializers import OrganizationSerializer
from orgs.errors import OrgError
from orgs.selectors import user_organizations

FULL_NAME_MAX = 100


def _answer(request, org, *, status_code=status.HTTP_200_OK) -> Response:
    org.caller_role = organization_access(actor_from_request(request), org).role
    return Response(OrganizationSerializer(org).data, status=status_code)


class OrgListApi(generics.GenericAPIView):
    """``/api/v2/orgs/``: the organizations the caller is a member of; create one."""

    permission_classes = [IsAuthenticated, TokenScopeAllows]
    serializer_class = OrganizationSerializer

    @extend_schema_serializer(component_name="OrganizationCreate")
    class InputSerializer(StrictSerializer):
        name = serializers.CharField(
            max_length=30, help_text="4–30 lowercase letters and digits, unique across users."
        )
        full_name = serializers.CharField(max_length=FULL_NAME_MAX, allow_blank=True, default="")

    @extend_schema(
        summary="List your organizations",
        description="The organizations you are a member of, with your role in each.",
        tags=["organizations"],
        responses={200: OrganizationSerializer(many=True), 401: UNAUTHORIZED},
    )
    def get(self, request):
        memberships = self.paginate_queryset(user_organizations(user=request.user))
        orgs = []
        for membership in memberships:
            membership.namespace.caller_role = membership.role
            orgs.append(membership.namespace)
        return self.get_paginated_response(OrganizationSerializer(orgs, many=True).data)

    @extend_schema(
        summary="Create an organization",
        description="You become its first owner. Robot accounts cannot create organizations.",
        tags=["organizations"],
        request=InputSerializer,
        responses={
            201: OrganizationSerializer,
            400: VALIDATION,
            401: UNAUTHORIZED,
            403: ORG_ERRORS[403],
        },
    )
    def post(self, request):
        refuse_robots(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            org = services.org_create(user=request.user, **serializer.validated_data)
        except OrgError as error:
            raise org_error(error) from None
        return _answer(request, org, status_code=status.HTTP_201_CREATED)


class OrgDetailApi(APIView):
    """``/api/v2/orgs/{org}/``: anyone reads it; owners change its full name or delete it."""

    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]

    @extend_schema_serializer(component_name="OrganizationUpdate")
    class InputSerializer(StrictSerializer):
        full_name = serializers.CharField(max_length=FULL_NAME_MAX, allow_blank=True)

    @extend_schema(
        summary="Get an organization",
        description="Public: its name, full name, creation time, and your role in it.",
        tags=["organizations"],
        parameters=[ORG_PARAMETER],
        responses={200: OrganizationSerializer, 404: ORG_ERRORS[404]},
    )
    def get(self, request, org):
        return _answer(request, org_public(org))

    @extend_schema(
        summary="Change an organization's full name",
        description="Owners only.",
        tags=["organizations"],
        parameters=[ORG_PARAMETER],
        request=InputSerializer,
        responses={200: OrganizationSerializer, 400: VALIDATION, **ORG_ERRORS},
    )
    def patch(self, request, org):
        namespace = org_for_owner(request, org, public=True)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        namespace = services.org_update(org=namespace, **serializer.validated_data)
        return _answer(request, namespace)

    @extend_schema(
        summary="Delete an organization",
        description="Owners only. Its repositories, teams and robot accounts go with it.",
        tags=["organizations"],
        parameters=[ORG_PARAMETER],
        request=None,
        responses={204: OpenApiResponse(description="Deleted."), **ORG_ERRORS},
    )
    def delete(self, request, org):
        services.org_delete(org=org_for_owner(request, org, public=True))
        return Response(status=status.HTTP_204_NO_CONTENT)
