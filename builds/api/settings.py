"""Build settings (the git URL, the trigger URL and its secret) and build rules."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from builds import services
from builds.api.common import (
    RULE_ID,
    WRITE_ERRORS,
    StrictSerializer,
    can_configure,
    repository_for_configurer,
    rule_or_404,
    service_error,
)
from builds.models import BuildRule, BuildSecret, BuildSettings, SourceType
from builds.serializers import BuildRuleSerializer, BuildSecretSerializer, BuildSettingsSerializer
from hub.api.common import repository_visible
from hub.api.schema import NOT_FOUND, VALIDATION
from hub.models import Repository


# The two writes on settings. builds.services has none yet, and builds/views.py carries the same
# two functions under the same names: they belong in builds.services, shared by both.
def _settings_response(request, repository: Repository, row: BuildSettings) -> Response:
    row.repository = repository
    context = {"can_write": can_configure(request, repository)}
    return Response(BuildSettingsSerializer(row, context=context).data)


class BuildSettingsApi(APIView):
    """``…/build-settings/``: read (secrets for writers only); writers set the git URL and the
    credentials for a private git host."""

    @extend_schema_serializer(component_name="BuildSettingsUpdate")
    class InputSerializer(StrictSerializer):
        source_url = serializers.CharField(
            max_length=500,
            allow_blank=True,
            trim_whitespace=True,
            required=False,
            help_text="https, http, ssh or git URL (or user@host:path); empty to unset. A "
            "password in it is moved into the credentials and never shown.",
        )
        git_username = serializers.CharField(
            max_length=200, allow_blank=True, required=False, help_text="For a private https host."
        )
        git_token = serializers.CharField(
            max_length=4096,
            allow_blank=True,
            required=False,
            write_only=True,
            trim_whitespace=False,
            help_text="Its password or access token; write-only, stored encrypted, sent only to "
            "the git URL's host. Empty removes the credentials.",
        )

    @extend_schema(
        summary="Get a repository's build settings",
        description="`trigger_secret`, `git_username` and `secrets` are null for those who may "
        "not push (a read-only token included). A git token is never shown.",
        tags=["builds"],
        responses={200: BuildSettingsSerializer, 404: NOT_FOUND},
    )
    def get(self, request, namespace, name):
        repository = repository_visible(request, namespace, name)
        row = services.build_settings_for(repository=repository)
        return _settings_response(request, repository, row)

    @extend_schema(
        summary="Set a repository's git URL and its credentials",
        tags=["builds"],
        request=InputSerializer,
        responses={200: BuildSettingsSerializer, 400: VALIDATION, **WRITE_ERRORS},
    )
    def put(self, request, namespace, name):
        repository = repository_for_configurer(request, namespace, name)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not data:
            raise exceptions.ValidationError(
                {"detail": "Send source_url, and git_username with git_token for a private host."}
            )
        try:
            with transaction.atomic():
                row = services.build_settings_for(repository=repository)
                if "source_url" in data:
                    try:
                        row = services.settings_source_update(
                            repository=repository, source_url=data["source_url"], by=request.user
                        )
                    except DjangoValidationError as error:
                        raise DjangoValidationError({"source_url": error.messages}) from None
                if "git_username" in data or "git_token" in data:
                    row = services.settings_credentials_update(
                        repository=repository,
                        username=data.get("git_username", row.git_username),
                        token=data.get("git_token"),
                        by=request.user,
                    )
        except DjangoValidationError as error:
            raise service_error(error) from None
        return _settings_response(request, repository, row)


class BuildSecretListApi(generics.GenericAPIView):
    """``…/build-secrets/``: the names of a repository's secret build values; set one."""

    serializer_class = BuildSecretSerializer

    @extend_schema_serializer(component_name="BuildSecretInput")
    class InputSerializer(StrictSerializer):
        name = serializers.CharField(max_length=64)
        value = serializers.CharField(
            max_length=65536, write_only=True, trim_whitespace=False, help_text="Write-only."
        )

    @extend_schema(
        summary="List a repository's secret build values (names only)",
        tags=["builds"],
        responses={200: BuildSecretSerializer(many=True), **WRITE_ERRORS},
    )
    def get(self, request, namespace, name):
        repository = repository_for_configurer(request, namespace, name)
        page = self.paginate_queryset(BuildSecret.objects.filter(repository=repository))
        return self.get_paginated_response(BuildSecretSerializer(page, many=True).data)

    @extend_schema(
        summary="Set a secret build value",
        description="Builds mount it for `RUN --mount=type=secret,id=<name>` (at "
        "`/run/secrets/<name>`); it is never logged, shown or put in the image by Wharf. "
        "Setting an existing name replaces its value.",
        tags=["builds"],
        request=InputSerializer,
        responses={201: BuildSecretSerializer, 400: VALIDATION, **WRITE_ERRORS},
    )
    def post(self, request, namespace, name):
        repository = repository_for_configurer(request, namespace, name)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            secret = services.secret_set(repository=repository, **serializer.validated_data)
        except DjangoValidationError as error:
            raise service_error(error) from None
        return Response(BuildSecretSerializer(secret).data, status=status.HTTP_201_CREATED)


class BuildSecretDetailApi(APIView):
    """``…/build-secrets/{secret}/``: remove a secret build value."""

    token_actions = {"DELETE": "write"}  # configuration, not content

    @extend_schema(
        summary="Delete a secret build value",
        tags=["builds"],
        request=None,
        responses={204: OpenApiResponse(description="Deleted."), **WRITE_ERRORS},
    )
    def delete(self, request, namespace, name, secret):
        repository = repository_for_configurer(request, namespace, name)
        row = BuildSecret.objects.filter(repository=repository, name=secret).first()
        if row is None:
            raise Http404(f"No secret {secret} in {repository.full_name}.")
        services.secret_delete(secret=row)
        return Response(status=status.HTTP_204_NO_CONTENT)


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
        repository = repository_for_configurer(request, namespace, name)
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
        context = {"can_write": can_configure(request, repository)}
        return self.get_paginated_response(
            BuildRuleSerializer(page, many=True, context=context).data
        )

    @extend_schema(
        summary="Add a build rule",
        description="A repository with an active rule is flagged Automated.",
        tags=["builds"],
        request=RuleInputSerializer,
        responses={201: BuildRuleSerializer, 400: VALIDATION, **WRITE_ERRORS},
    )
    def post(self, request, namespace, name):
        repository = repository_for_configurer(request, namespace, name)
        fields = _rule_fields(request, partial=False)
        try:
            rule = services.rule_create(repository=repository, by=request.user, **fields)
        except DjangoValidationError as error:
            raise service_error(error) from None
        body = BuildRuleSerializer(rule, context={"can_write": True}).data
        return Response(body, status=status.HTTP_201_CREATED)


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
        repository = repository_visible(request, namespace, name)
        rule = rule_or_404(repository, rule_id)
        context = {"can_write": can_configure(request, repository)}
        return Response(BuildRuleSerializer(rule, context=context).data)

    def _update(self, request, namespace, name, rule_id, *, partial: bool):
        repository = repository_for_configurer(request, namespace, name)
        rule = rule_or_404(repository, rule_id)
        fields = _rule_fields(request, partial=partial)
        try:
            rule = services.rule_update(rule=rule, by=request.user, **fields)
        except DjangoValidationError as error:
            raise service_error(error) from None
        return Response(BuildRuleSerializer(rule, context={"can_write": True}).data)

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
        repository = repository_for_configurer(request, namespace, name)
        services.rule_delete(rule=rule_or_404(repository, rule_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
