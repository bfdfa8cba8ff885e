"""``/api/v2/upstreams/`` and ``/api/v2/upstreams/{name}/``: the pull-through cache's upstream
registries, for staff. Anyone else gets a 401 (not signed in) or a 403."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from builds.api.common import service_error
from hub.api.schema import UNAUTHORIZED, VALIDATION
from hub.api.serializers import ErrorSerializer
from hub.permissions import actor_from_request
from hub.permissions_admin import upstreams_administered
from proxy import selectors, services
from proxy.api.serializers import UpstreamInputSerializer, UpstreamSerializer

NOT_STAFF = "Only staff can see and change upstream registries."
DESCRIPTION = (
    "Upstream registries Wharf pulls through and caches: `HOST/{namespace}/…` is pulled from "
    "the upstream the first time, from Wharf afterwards. Staff only. The password is write-only."
)
ERRORS = {
    401: UNAUTHORIZED,
    403: OpenApiResponse(
        ErrorSerializer, description="Not staff, or the token's scope does not allow it."
    ),
}
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No upstream of that name.")
NAME = OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH)


def _staff_only(request) -> None:
    if not request.user.is_authenticated:
        raise exceptions.NotAuthenticated()
    if not upstreams_administered(actor_from_request(request)):
        raise exceptions.PermissionDenied(NOT_STAFF)


def _upstream(name: str):
    upstream = selectors.upstream_get(name)
    if upstream is None:
        raise exceptions.NotFound(f"No upstream {name!r}.")
    return upstream


def _fields(request, *, partial: bool) -> dict:
    serializer = UpstreamInputSerializer(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class UpstreamListApi(generics.GenericAPIView):
    serializer_class = UpstreamSerializer

    @extend_schema(
        summary="List upstream registries",
        description=DESCRIPTION,
        tags=["upstreams"],
        responses={200: UpstreamSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        _staff_only(request)
        page = self.paginate_queryset(selectors.upstreams_list())
        return self.get_paginated_response(UpstreamSerializer(page, many=True).data)

    @extend_schema(
        summary="Add an upstream registry",
        description=DESCRIPTION + " Its proxy namespace is made with it, owned by no one; "
        "it must not be a user's or an organization's name.",
        tags=["upstreams"],
        request=UpstreamInputSerializer,
        responses={201: UpstreamSerializer, 400: VALIDATION, **ERRORS},
    )
    def post(self, request):
        _staff_only(request)
        fields = _fields(request, partial=False)
        try:
            upstream = services.upstream_create(**fields)
        except DjangoValidationError as error:
            raise service_error(error) from None
        body = UpstreamSerializer(selectors.upstream_get(upstream.name)).data
        return Response(body, status=status.HTTP_201_CREATED)


class UpstreamDetailApi(APIView):
    @extend_schema(
        summary="Get an upstream registry",
        tags=["upstreams"],
        parameters=[NAME],
        responses={200: UpstreamSerializer, 404: NOT_FOUND, **ERRORS},
    )
    def get(self, request, name):
        _staff_only(request)
        return Response(UpstreamSerializer(_upstream(name)).data)

    @extend_schema(
        summary="Edit an upstream registry",
        description="Send only the fields to change. A password left out (or null) is kept, "
        "an empty one removes it. The namespace cannot change.",
        tags=["upstreams"],
        parameters=[NAME],
        request=UpstreamInputSerializer(partial=True),
        responses={200: UpstreamSerializer, 400: VALIDATION, 404: NOT_FOUND, **ERRORS},
    )
    def patch(self, request, name):
        _staff_only(request)
        upstream = _upstream(name)
        fields = _fields(request, partial=True)
        try:
            services.upstream_update(upstream=upstream, **fields)
        except DjangoValidationError as error:
            raise service_error(error) from None
        return Response(UpstreamSerializer(selectors.upstream_get(upstream.name)).data)

    @extend_schema(
        summary="Delete an upstream registry",
        description="Its proxy namespace and every repository cached in it go with it.",
        tags=["upstreams"],
        parameters=[NAME],
        request=None,
        responses={204: OpenApiResponse(description="Deleted."), 404: NOT_FOUND, **ERRORS},
    )
    def delete(self, request, name):
        _staff_only(request)
        services.upstream_delete(upstream=_upstream(name))
        return Response(status=status.HTTP_204_NO_CONTENT)
