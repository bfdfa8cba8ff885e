"""Search: `docker search`'s five columns, and pulls, visibility and last update."""

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny

from accounts.permissions import TokenScopeAllows
from hub.api.schema import VALIDATION
from hub.selectors import SEARCH_ORDERINGS, repository_search


class SearchApi(generics.GenericAPIView):
    """``/api/v2/search/repositories/``: repositories the caller may see, matching every word."""

    # AllowAny adds nothing (permissions are ANDed) but tells the schema anonymous calls work.
    permission_classes = [AllowAny, TokenScopeAllows]

    class QuerySerializer(serializers.Serializer):
        query = serializers.CharField(
            max_length=200, required=False, allow_blank=True, default="",
            help_text="Words to find in the name or description; `ns/name` matches across the /.",
        )  # fmt: skip
        is_official = serializers.BooleanField(required=False, allow_null=True, default=None)
        is_automated = serializers.BooleanField(required=False, allow_null=True, default=None)
        ordering = serializers.ChoiceField(
            choices=list(SEARCH_ORDERINGS), required=False, default="best"
        )

    @extend_schema_serializer(component_name="SearchResult")
    class OutputSerializer(serializers.Serializer):
        repo_name = serializers.CharField(
            source="display_name", help_text="Official repositories go by their short name."
        )
        namespace = serializers.CharField(source="namespace.name")
        name = serializers.CharField()
        repo_owner = serializers.CharField(source="namespace.name")
        short_description = serializers.CharField(source="description")
        star_count = serializers.IntegerField()
        pull_count = serializers.IntegerField()
        is_official = serializers.BooleanField()
        is_automated = serializers.BooleanField()
        is_private = serializers.BooleanField()
        last_updated = serializers.DateTimeField(source="updated_at")

    serializer_class = OutputSerializer

    @extend_schema(
        summary="Search repositories (docker search)",
        description=(
            "Best match ranks an exact name first, then names starting with the query, then "
            "names holding it, then description matches. Private repositories appear only to "
            "their owner and staff."
        ),
        tags=["search"],
        parameters=[QuerySerializer],
        responses={200: OutputSerializer(many=True), 400: VALIDATION},
    )
    def get(self, request):
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        repositories = repository_search(
            user=request.user,
            query=params["query"],
            official=params["is_official"],
            automated=params["is_automated"],
            ordering=params["ordering"],
        )
        page = self.paginate_queryset(repositories)
        return self.get_paginated_response(self.OutputSerializer(page, many=True).data)
