"""Tags: list a repository's, read one, delete one (`docker rmi`), make one (`docker tag`)."""

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import TokenScopeAllows
from hub import services
from hub.api.common import repository_for_writer, repository_visible, validation_error
from hub.api.schema import FORBIDDEN, NOT_FOUND, UNAUTHORIZED, VALIDATION
from hub.api.serializers import TagSerializer
from hub.selectors import repository_tags

# The API's names for orderings (Docker Hub's), mapped to the selector's.
TAG_ORDERINGS = {
    "last_updated": "updated",
    "-last_updated": "-updated",
    "name": "name",
    "-name": "-name",
    "full_size": "size",
    "-full_size": "-size",
}


def _tag_or_404(repository, name: str):
    # The list's selector, so one tag comes with its platforms prefetched like the list's do.
    tag = repository_tags(repository=repository).filter(name=name).first()
    if tag is None:
        raise Http404(f"No tag {name!r} in {repository.full_name}.")
    return tag


class TagListApi(generics.GenericAPIView):
    """``/api/v2/repositories/{namespace}/{name}/tags/``: list; owner and staff add tags."""

    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]
    serializer_class = TagSerializer

    class QuerySerializer(serializers.Serializer):
        ordering = serializers.ChoiceField(
            choices=sorted(TAG_ORDERINGS), default="-last_updated", required=False
        )
        name = serializers.CharField(
            max_length=128,
            required=False,
            default="",
            allow_blank=True,
            help_text="Only tags whose name contains this (as Docker Hub's `name` filter).",
        )

    @extend_schema_serializer(component_name="TagCreate")
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=128, help_text="The new tag.")

        def get_fields(self):
            # "from" is a Python keyword, so the field cannot be a class attribute.
            fields = super().get_fields()
            fields["from"] = serializers.CharField(
                max_length=200, help_text="An existing tag, or a manifest digest (sha256:…)."
            )
            return fields

    @extend_schema(
        summary="List a repository's tags",
        description="Every platform of a multi-arch image is listed in `images`.",
        tags=["tags"],
        parameters=[QuerySerializer],
        responses={200: TagSerializer(many=True), 400: VALIDATION, 404: NOT_FOUND},
    )
    def get(self, request, namespace, name):
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        repository = repository_visible(request, namespace, name)
        ordering = TAG_ORDERINGS[query.validated_data["ordering"]]
        tags = repository_tags(
            repository=repository, ordering=ordering, name=query.validated_data["name"].strip()
        )
        page = self.paginate_queryset(tags)
        return self.get_paginated_response(TagSerializer(page, many=True).data)

    @extend_schema(
        summary="Tag an existing image (docker tag)",
        description="Points a new (or existing) tag at what another tag or a digest points at.",
        tags=["tags"],
        request=InputSerializer,
        responses={
            201: TagSerializer,
            400: VALIDATION,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def post(self, request, namespace, name):
        repository = repository_for_writer(request, namespace, name)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            tag = services.tag_create(repository=repository, name=data["name"], source=data["from"])
        except services.RepositoryError as error:
            raise validation_error(error) from None
        tag = _tag_or_404(repository, tag.name)
        return Response(TagSerializer(tag).data, status=status.HTTP_201_CREATED)


class TagDetailApi(APIView):
    """``/api/v2/repositories/{namespace}/{name}/tags/{tag}/``: read; owner and staff delete."""

    permission_classes = [IsAuthenticatedOrReadOnly, TokenScopeAllows]

    @extend_schema(
        summary="Get a tag",
        tags=["tags"],
        responses={200: TagSerializer, 404: NOT_FOUND},
    )
    def get(self, request, namespace, name, tag):
        repository = repository_visible(request, namespace, name)
        return Response(TagSerializer(_tag_or_404(repository, tag)).data)

    @extend_schema(
        summary="Delete a tag (docker rmi)",
        description="The image stays while other tags point at it; gc frees unused blobs.",
        tags=["tags"],
        request=None,
        responses={
            204: OpenApiResponse(description="Deleted."),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def delete(self, request, namespace, name, tag):
        repository = repository_for_writer(request, namespace, name)
        try:
            services.tag_delete(repository=repository, name=tag)
        except services.RepositoryError as error:
            raise Http404(error.message) from None
        return Response(status=status.HTTP_204_NO_CONTENT)
