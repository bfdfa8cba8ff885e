"""Robot accounts (``acme+ci``): an organization's, managed by its owners, and a user's own,
managed by that user (and staff). The secret is in the creating answer only."""

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
from hub.api.serializers import ErrorSerializer
from hub.models import Namespace
from hub.services import namespace_for_user
from orgs.api.common import (
    ORG_ERRORS,
    ORG_PARAMETER,
    ROBOT_PATTERN,
    StrictSerializer,
    account_for_robots,
    org_error,
    org_for_owner,
    org_for_owner_read,
    path_parameter,
)
from orgs.api.serializers import RobotCreatedSerializer, RobotSerializer
from orgs.errors import OrgError
from orgs.models import Robot
from orgs.robots import MAX_EXPIRY_DAYS, robot_create, robot_delete
from orgs.selectors import namespace_robots, robot_get

ROBOT_PARAMETER = path_parameter(
    "name", ROBOT_PATTERN, "The robot's short name (ci) or full name (acme+ci)."
)
USER_PARAMETER = path_parameter("username", USERNAME_PATTERN, "The robots' owner.")
USER_ERRORS = {
    **ORG_ERRORS,
    404: OpenApiResponse(
        ErrorSerializer,
        description="No such user, or robots of someone else (only they and staff see them).",
    ),
}


@extend_schema_serializer(component_name="RobotCreate")
class RobotInputSerializer(StrictSerializer):
    name = serializers.CharField(
        max_length=30, help_text="1–30 lowercase letters, digits and _; the account is ns+name."
    )
    description = serializers.CharField(max_length=200, allow_blank=True, default="")
    repositories = serializers.ListField(
        child=serializers.CharField(max_length=255),
        max_length=1000,
        help_text='Names of the namespace\'s repositories ("app"), or ["*"] for all of them, '
        "present and future.",
    )
    actions = serializers.ListField(
        child=serializers.ChoiceField(choices=Robot.ACTIONS), max_length=len(Robot.ACTIONS)
    )
    expires_in_days = serializers.IntegerField(
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        allow_null=True,
        default=None,
        help_text="Null: never expires.",
    )


class RobotListBase(generics.GenericAPIView):
    """List a namespace's robots; create one (the answer carries the secret, once)."""

    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]
    serializer_class = RobotSerializer

    def namespace_for_read(self, request, **kwargs) -> Namespace | None:
        raise NotImplementedError

    def namespace_for_write(self, request, **kwargs) -> Namespace:
        raise NotImplementedError

    def _list(self, request, **kwargs) -> Response:
        namespace = self.namespace_for_read(request, **kwargs)
        if namespace is None:
            robots = Robot.objects.none()
        else:
            robots = namespace_robots(namespace=namespace).select_related("created_by")
        page = self.paginate_queryset(robots)
        return self.get_paginated_response(RobotSerializer(page, many=True).data)

    def _create(self, request, **kwargs) -> Response:
        namespace = self.namespace_for_write(request, **kwargs)
        serializer = RobotInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            robot, secret = robot_create(
                namespace=namespace, created_by=request.user, **serializer.validated_data
            )
        except OrgError as error:
            raise org_error(error) from None
        robot.secret = secret
        return Response(RobotCreatedSerializer(robot).data, status=status.HTTP_201_CREATED)


class RobotDetailBase(APIView):
    """Delete (revoke) a robot: the next request with its secret fails."""

    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]

    def namespace_for_write(self, request, **kwargs) -> Namespace:
        raise NotImplementedError

    def _delete(self, request, name, **kwargs) -> Response:
        namespace = self.namespace_for_write(request, **kwargs)
        robot_delete(robot=robot_get(namespace=namespace, name=name))
        return Response(status=status.HTTP_204_NO_CONTENT)


class OrgRobotListApi(RobotListBase):
    """``/api/v2/orgs/{org}/robots/``: owners list and create the organization's robots."""

    def namespace_for_read(self, request, org):
        return org_for_owner_read(request, org)

    def namespace_for_write(self, request, org):
        return org_for_owner(request, org)

    @extend_schema(
        summary="List an organization's robot accounts",
        description="Owners (and staff) only; secrets are never shown.",
        tags=["robots"],
        parameters=[ORG_PARAMETER],
        responses={200: RobotSerializer(many=True), **ORG_ERRORS},
    )
    def get(self, request, org):
        return self._list(request, org=org)

    @extend_schema(
        summary="Create an organization robot account",
        description="Owners only. The answer holds the secret; it is never shown again.",
        tags=["robots"],
        parameters=[ORG_PARAMETER],
        request=RobotInputSerializer,
        responses={201: RobotCreatedSerializer, 400: VALIDATION, **ORG_ERRORS},
    )
    def post(self, request, org):
        return self._create(request, org=org)


class OrgRobotDetailApi(RobotDetailBase):
    """``/api/v2/orgs/{org}/robots/{name}/``."""

    def namespace_for_write(self, request, org):
        return org_for_owner(request, org)

    @extend_schema(
        summary="Delete (revoke) an organization robot account",
        description="Owners only. Its next request fails.",
        tags=["robots"],
        parameters=[ORG_PARAMETER, ROBOT_PARAMETER],
        request=None,
        responses={204: OpenApiResponse(description="Revoked."), **ORG_ERRORS},
    )
    def delete(self, request, org, name):
        return self._delete(request, name, org=org)


class UserRobotListApi(RobotListBase):
    """``/api/v2/users/{username}/robots/``: a user's own robots, for them and staff."""

    def namespace_for_read(self, request, username):
        account = account_for_robots(request, username)
        return Namespace.objects.filter(owner=account).first()

    def namespace_for_write(self, request, username):
        return namespace_for_user(user=account_for_robots(request, username, write=True))

    @extend_schema(
        summary="List a user's robot accounts",
        description="That user and staff only (404 for others); secrets are never shown.",
        tags=["robots"],
        parameters=[USER_PARAMETER],
        responses={200: RobotSerializer(many=True), **USER_ERRORS},
    )
    def get(self, request, username):
        return self._list(request, username=username)

    @extend_schema(
        summary="Create a robot account of your own",
        description="`alice+ci`, acting on alice's repositories it names. The answer holds the "
        "secret; it is never shown again.",
        tags=["robots"],
        parameters=[USER_PARAMETER],
        request=RobotInputSerializer,
        responses={201: RobotCreatedSerializer, 400: VALIDATION, **USER_ERRORS},
    )
    def post(self, request, username):
        return self._create(request, username=username)


class UserRobotDetailApi(RobotDetailBase):
    """``/api/v2/users/{username}/robots/{name}/``."""

    def namespace_for_write(self, request, username):
        account = account_for_robots(request, username, write=True)
        namespace = Namespace.objects.filter(owner=account).first()
        if namespace is None:
            raise exceptions.NotFound(f"{username} has no robot accounts.")
        return namespace

    @extend_schema(
        summary="Delete (revoke) a robot account of your own",
        description="Its next request fails.",
        tags=["robots"],
        parameters=[USER_PARAMETER, ROBOT_PARAMETER],
        request=None,
        responses={204: OpenApiResponse(description="Revoked."), **USER_ERRORS},
    )
    def delete(self, request, username, name):
        return self._delete(request, name, username=username)
