"""Build settings (the git URL, the trigger URL and its secret) and build rules."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from builds import services
from builds.api.common import (
    RULE_ID,
    WRITE_ERRORS,
    StrictSerializer,
    can_write,
    repository_for_writer,
    rule_or_404,
    service_error,
)
from builds.models import BuildRule, BuildSettings, SourceType
from builds.serializers import BuildRuleSerializer, BuildSettingsSerializer
from hub.api.common import repository_visible
from hub.api.schema import NOT_FOUND, VALIDATION
from hub.models import Repository


# The two writes on settings. builds.services has none yet, and builds/views.py carries the same
# two functions under the same names: they belong in builds.services, shared by both.
def _settings_response(request, repository: Repository, row: BuildSettings) -> Response:
    row.repository = repository
    context = {"can_write": can_write(request, repository)}
    return Response(BuildSettingsSerializer(row, context=context).data)


class BuildSettingsApi(APIView):
    """``…/build-settings/``: read (secret for writers only); writers set the git URL."""

    @extend_schema_serializer(component_name="BuildSettingsUpdate")
    class InputSerializer(StrictSerializer):
        source_url = serializers.CharField(
            max_length=500,
            allow_blank=True,
            trim_whitespace=True,
            help_text="https, http, ssh or git URL (or user@host:path); empty to unset.",
        )

    @extend_schema(
        summary="Get a repository's build settings",
        description="`trigger_secret` is null for those who may not push.",
        tags=["builds"],
        responses={200: BuildSettingsSerializer, 404: NOT_FOUND},
    )
    def get(self, request, namespace, name):
        repository = repository_visible(request, namespace, name)
        row = services.build_settings_for(repository=repository)
        return _settings_response(request, repository, row)

    @extend_schema(
        summary="Set a repository's git URL",
        tags=["builds"],
        request=InputSerializer,
        responses={200: BuildSettingsSerializer, 400: VALIDATION, **WRITE_ERRORS},
    )
    def put(self, request, namespace, name):
        repository = repository_for_writer(request, namespace, name)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            row = services.settings_source_update(
                repository=repository, source_url=serializer.validated_data["source_url"]
            )
        except DjangoValidationError as error:
            raise exceptions.ValidationError({"source_url": error.messages}) from None
        return _settings_response(request, repository, row)


class RegenerateSecretApi(APIView):
    """``…/build-settings/regenerate-secret/``."""

    @extend_schema(
        summary="Regenerate the trigger secret",
        description="Webhooks that send the old secret are refused from now on.",
        tags=["builds"],
        request=None,
        responses={200: BuildSettingsSerializer, **WRITE_ERRORS},
    )
    def post(self, request, namespace, name):
        repository = repository_for_writer(request, namespace, name)
        row = services.settings_trigger_secret_regenerate(repository=repository)
        return _settings_response(request, repository, row)


@extend_schema_serializer(component_name="BuildRuleInput")
class RuleInputSerializer(StrictSerializer):
    source_type = serializers.ChoiceField(choices=SourceType.choices, default="branch")
    source = serializers.CharField(
        max_length=200, default="main", help_text="A name, or a regex between slashes."
    )
    docker_tag = serializers.CharField(
        max_length=128,
        default="latest",
        help_text="A tag or a template: `{sourceref}`, `{\\1}`…`{\\9}`, `{short_sha}`.",
    )
    dockerfile = serializers.CharField(max_length=300, default="Dockerfile")
    context = serializers.CharField(max_length=300, default="/")
    build_args = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=1000), default=dict
    )
    cache = serializers.BooleanField(default=True, help_text="Off builds with --no-cache.")
    autobuild = serializers.BooleanField(default=True, help_text="Build on webhook pushes.")
    active = serializers.BooleanField(default=True)


def _rule_fields(request, *, partial: bool) -> dict:
    serializer = RuleInputSerializer(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class BuildRuleListApi(generics.GenericAPIView):
    """``…/build-rules/``: the rules (whoever sees the repository); writers add rules."""

    serializer_class = BuildRuleSerializer

    @extend_schema(
        summary="List a repository's build rules",
        tags=["builds"],
        responses={200: BuildRuleSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request, namespace, name):
        repository = repository_visible(request, namespace, name)
        page = self.paginate_queryset(BuildRule.objects.filter(repository=repository))
        return self.get_paginated_response(BuildRuleSerializer(page, many=True).data)

    @extend_schema(
        summary="Add a build rule",
        description="A repository with an active rule is flagged Automated.",
        tags=["builds"],
        request=RuleInputSerializer,
        responses={201: BuildRuleSerializer, 400: VALIDATION, **WRITE_ERRORS},
    )
    def post(self, request, namespace, name):
        repository = repository_for_writer(request, namespace, name)
        fields = _rule_fields(request, partial=False)
        try:
            rule = services.rule_create(repository=repository, **fields)
        except DjangoValidationError as error:
            raise service_error(error) from None
        return Response(BuildRuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class BuildRuleDetailApi(APIView):
    """``…/build-rules/{id}/``: read; writers replace, edit or delete it."""

    # Deleting a rule removes no image, only configuration: a read & write token may do it.
    token_actions = {"DELETE": "write"}

    @extend_schema(
        summary="Get a build rule",
        tags=["builds"],
        parameters=[RULE_ID],
        responses={200: BuildRuleSerializer, 404: NOT_FOUND},
    )
    def get(self, request, namespace, name, rule_id):
        rule = rule_or_404(repository_visible(request, namespace, name), rule_id)
        return Response(BuildRuleSerializer(rule).data)

    def _update(self, request, namespace, name, rule_id, *, partial: bool):
        repository = repository_for_writer(request, namespace, name)
        rule = rule_or_404(repository, rule_id)
        fields = _rule_fields(request, partial=partial)
        try:
            rule = services.rule_update(rule=rule, **fields)
        except DjangoValidationError as error:
            raise service_error(error) from None
        return Response(BuildRuleSerializer(rule).data)

    @extend_schema(
        summary="Replace a build rule",
        description="Fields left out take their defaults.",
        tags=["builds"],
        parameters=[RULE_ID],
        request=RuleInputSerializer,
        responses={200: BuildRuleSerializer, 400: VALIDATION, **WRITE_ERRORS},
    )
    def put(self, request, namespace, name, rule_id):
        return self._update(request, namespace, name, rule_id, partial=False)

    @extend_schema(
        summary="Edit a build rule",
        description="Send only the fields to change.",
        tags=["builds"],
        parameters=[RULE_ID],
        request=RuleInputSerializer(partial=True),
        responses={200: BuildRuleSerializer, 400: VALIDATION, **WRITE_ERRORS},
    )
    def patch(self, request, namespace, name, rule_id):
        return self._update(request, namespace, name, rule_id, partial=True)

    @extend_schema(
        summary="Delete a build rule",
        tags=["builds"],
        parameters=[RULE_ID],
        request=None,
        responses={204: OpenApiResponse(description="Deleted."), **WRITE_ERRORS},
    )
    def delete(self, request, namespace, name, rule_id):
        repository = repository_for_writer(request, namespace, name)
        services.rule_delete(rule=rule_or_404(repository, rule_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
