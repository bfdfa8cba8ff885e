"""Repositories: list a namespace's, create, read, edit and delete one (Docker Hub's shapes)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import TokenScopeAllows
from hub import services
from hub.api.common import (
    NAMESPACE_ORDERINGS,
    namespace_get,
    namespace_repositories,
    repository_for_admin,
    repository_visible,
    set_has_starred,
    validation_error,
)
from hub.api.schema import FORBIDDEN, NOT_FOUND, UNAUTHORIZED, VALIDATION
from hub.api.serializers import RepositorySerializer

FULL_DESCRIPTION_MAX = 25_000  # Docker Hub's limit for the overview

ERRORS = {401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND}


class NamespaceRepositoriesApi(generics.GenericAPIView):
    """``/api/v2/repositories/{namespace}/``: list what the caller may see; create one."""

    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]
    serializer_class = RepositorySerializer

    class QuerySerializer(serializers.Serializer):
        ordering = serializers.ChoiceField(
            choices=sorted(NAMESPACE_ORDERINGS), default="-last_updated", required=False
        )

    @extend_schema_serializer(component_name="RepositoryCreate")
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        description = serializers.CharField(max_length=100, allow_blank=True, default="")
        full_description = serializers.CharField(
            max_length=FULL_DESCRIPTION_MAX, allow_blank=True, default=""
        )
        is_private = serializers.BooleanField(default=False)

    @extend_schema(
        summary="List a namespace's repositories",
        description="Private repositories appear only to their owner and staff.",
        tags=["repositories"],
        parameters=[QuerySerializer],
        responses={200: RepositorySerializer(many=True), 400: VALIDATION, 404: ERRORS[404]},
    )
    def get(self, request, namespace):
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        ns = namespace_get(namespace)
        repositories = namespace_repositories(
            namespace=ns, viewer=request.user, ordering=query.validated_data["ordering"]
        )
        page = self.paginate_queryset(repositories)
        data = RepositorySerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)

    @extend_schema(
        summary="Create a repository",
        description="In your own namespace, or in `library` (official) for staff.",
        tags=["repositories"],
        request=InputSerializer,
        responses={201: RepositorySerializer, 400: VALIDATION, 401: ERRORS[401], 403: ERRORS[403]},
    )
    def post(self, request, namespace):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            repository = services.repository_create(
                user=request.user, namespace=namespace, **serializer.validated_data
            )
        except services.RepositoryError as error:
            raise validation_error(error) from None
        repository = set_has_starred(repository, request.user)
        data = RepositorySerializer(repository, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


class RepositoryDetailApi(APIView):
    """``/api/v2/repositories/{namespace}/{name}/``: read; owner and staff edit and delete."""

    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]

    @extend_schema_serializer(component_name="RepositoryUpdate")
    class InputSerializer(serializers.Serializer):
        description = serializers.CharField(max_length=100, allow_blank=True, required=False)
        full_description = serializers.CharField(
            max_length=FULL_DESCRIPTION_MAX, allow_blank=True, required=False
        )
        is_private = serializers.BooleanField(required=False)

        def validate(self, attrs):
            unknown = set(self.initial_data) - set(self.fields)
            if unknown:
                raise serializers.ValidationError(
                    f"These fields cannot be changed: {', '.join(sorted(unknown))}."
                )
            return attrs

    @extend_schema(
        summary="Get a repository",
        tags=["repositories"],
        responses={200: RepositorySerializer, 404: NOT_FOUND},
    )
    def get(self, request, namespace, name):
        repository = set_has_starred(repository_visible(request, namespace, name), request.user)
        return Response(RepositorySerializer(repository, context={"request": request}).data)

    @extend_schema(
        summary="Edit a repository's descriptions or visibility",
        description="Owner or staff. Send only the fields to change.",
        tags=["repositories"],
        request=InputSerializer,
        responses={200: RepositorySerializer, 400: VALIDATION, **ERRORS},
    )
    def patch(self, request, namespace, name):
        repository = repository_for_admin(request, namespace, name)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            repository = services.repository_update(
                repository=repository, **serializer.validated_data
            )
        except services.RepositoryError as error:
            raise validation_error(error) from None
        repository = set_has_starred(repository, request.user)
        return Response(RepositorySerializer(repository, context={"request": request}).data)

    @extend_schema(
        summary="Delete a repository with all its tags",
        description="Owner or staff. Blobs nobody else uses are freed by garbage collection.",
        tags=["repositories"],
        request=None,
        responses={204: OpenApiResponse(description="Deleted."), **ERRORS},
    )
    def delete(self, request, namespace, name):
        repository = repository_for_admin(request, namespace, name)
        services.repository_delete(repository=repository)
        return Response(status=status.HTTP_204_NO_CONTENT)
