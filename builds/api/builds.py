"""Builds: trigger (by rule or one-off from any git URL), history, detail, cancel, logs."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import exceptions, generics, renderers, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from builds import services, validation
from builds.api.common import (
    BUILD_ID,
    CONFLICT,
    WRITE_ERRORS,
    StrictSerializer,
    build_or_404,
    can_write,
    repository_for_writer,
    service_error,
)
from builds.models import Build, BuildLogLine, BuildRule, SourceType
from builds.serializers import (
    BuildBatchSerializer,
    BuildDetailSerializer,
    BuildSerializer,
    LogSerializer,
)
from hub.api.common import repository_visible
from hub.api.schema import NOT_FOUND, VALIDATION

ONE_OFF_ONLY = {"dockerfile", "context", "tag", "tags", "build_args", "no_cache"}


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The build has already ended."


class QueueUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Builds cannot be queued right now."


def _refuse_unqueued(builds) -> None:
    """503 when the broker refused the builds (they ended ``error`` with the reason)."""
    if message := services.queue_failure(builds):
        raise QueueUnavailable(message)


class PlainTextRenderer(renderers.BaseRenderer):
    """Logs as text: ``?format=text`` or ``Accept: text/plain``."""

    media_type = "text/plain"
    format = "text"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return str(data).encode(self.charset)


def _ended(build: Build) -> Conflict:
    return Conflict(
        f"Build {build.pk} has already ended ({build.get_status_display().lower()}); "
        "there is nothing to cancel."
    )


def _no_rule_message(repository, source_type: str, ref: str) -> str:
    rules = BuildRule.objects.filter(repository=repository, active=True)
    covers = ", ".join(f"{rule.source_type} {rule.source}" for rule in rules)
    message = f"No active build rule covers {source_type} “{ref}”."
    if covers:
        return f"{message} Active rules: {covers}."
    return f"{message} Add a rule, or send source_url for a one-off build."


class BuildListApi(generics.GenericAPIView):
    """``…/builds/``: the build history (whoever sees the repository); writers trigger builds."""

    serializer_class = BuildSerializer

    @extend_schema_serializer(component_name="BuildCreate")
    class InputSerializer(StrictSerializer):
        source_type = serializers.ChoiceField(choices=SourceType.choices, default="branch")
        source = serializers.CharField(max_length=200, help_text="The branch or tag to build.")
        source_url = serializers.CharField(
            max_length=500,
            required=False,
            help_text="A one-off build from this git URL. Without it, every active rule of "
            "the repository that covers `source` runs, with the repository's git URL.",
        )
        dockerfile = serializers.CharField(max_length=300, required=False)
        context = serializers.CharField(max_length=300, required=False)
        tag = serializers.CharField(max_length=128, required=False, help_text="Default latest.")
        tags = serializers.ListField(
            child=serializers.CharField(max_length=128), min_length=1, max_length=10, required=False
        )
        build_args = serializers.DictField(
            child=serializers.CharField(allow_blank=True, max_length=1000), required=False
        )
        no_cache = serializers.BooleanField(required=False)

        def validate(self, attrs):
            attrs = super().validate(attrs)
            extra = ONE_OFF_ONLY & set(attrs)
            if "source_url" not in attrs and extra:
                raise serializers.ValidationError(
                    f"{', '.join(sorted(extra))}: only for one-off builds (with source_url); "
                    "rule builds use their rule's settings."
                )
            if "tag" in attrs and "tags" in attrs:
                raise serializers.ValidationError("Send tag or tags, not both.")
            return attrs

    @extend_schema(
        summary="List a repository's builds",
        description="Newest first. Private repositories' builds only to those who see them.",
        tags=["builds"],
        responses={200: BuildSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request, namespace, name):
        repository = repository_visible(request, namespace, name)
        builds = Build.objects.filter(repository=repository).select_related("triggered_by")
        page = self.paginate_queryset(builds.order_by("-created_at", "-id"))
        for build in page:
            build.repository = repository
        return self.get_paginated_response(BuildSerializer(page, many=True).data)

    @extend_schema(
        summary="Trigger a build",
        description=(
            "With `{source_type, source}`: queue a build for every active rule covering that "
            "branch or tag (answers `{builds: [...]}`). With `source_url` too: a one-off build "
            "of any git URL with its own `dockerfile`, `context`, `tag`/`tags`, `build_args` "
            "and `no_cache` (answers the build). Only those who may push may trigger."
        ),
        tags=["builds"],
        request=InputSerializer,
        responses={
            201: PolymorphicProxySerializer(
                component_name="BuildCreated",
                serializers=[BuildDetailSerializer, BuildBatchSerializer],
                resource_type_field_name=None,
            ),
            400: VALIDATION,
            **WRITE_ERRORS,
        },
    )
    def post(self, request, namespace, name):
        repository = repository_for_writer(request, namespace, name)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            validation.validate_ref(data["source"])
        except DjangoValidationError as error:
            raise exceptions.ValidationError({"source": error.messages}) from None
        context = {"can_write": True}  # only writers get here
        if "source_url" in data:
            build = self._one_off(request, repository, data)
            _refuse_unqueued([build])
            body = BuildDetailSerializer(build, context=context).data
            return Response(body, status=status.HTTP_201_CREATED)
        settings_row = services.build_settings_for(repository=repository)
        if not settings_row.source_url:
            raise exceptions.ValidationError(
                {
                    "source_url": [
                        "This repository has no git URL yet: set it in its build settings "
                        "(PUT …/build-settings/), or send source_url for a one-off build."
                    ]
                }
            )
        try:
            with transaction.atomic():  # all of the matching rules' builds, or none
                builds = services.builds_for_ref(
                    repository=repository,
                    source_type=data["source_type"],
                    ref=data["source"],
                    user=request.user,
                    trigger="api",
                )
        except DjangoValidationError as error:
            raise service_error(error, {"source_ref": "source"}) from None
        if not builds:
            message = _no_rule_message(repository, data["source_type"], data["source"])
            raise exceptions.ValidationError({"source": [message]})
        _refuse_unqueued(builds)
        body = BuildBatchSerializer({"builds": builds}, context=context).data
        return Response(body, status=status.HTTP_201_CREATED)

    @staticmethod
    def _one_off(request, repository, data) -> Build:
        tags = data.get("tags") or ([data["tag"]] if "tag" in data else None)
        try:
            return services.build_create(
                repository=repository,
                user=request.user,
                trigger="api",
                source_url=data["source_url"],
                source_type=data["source_type"],
                source_ref=data["source"],
                tags=tags,
                dockerfile=data.get("dockerfile", "Dockerfile"),
                context=data.get("context", "/"),
                build_args=data.get("build_args"),
                no_cache=data.get("no_cache", False),
            )
        except DjangoValidationError as error:
            rename = {"source_ref": "source", "tags": "tags" if "tags" in data else "tag"}
            raise service_error(error, rename) from None


class BuildDetailApi(APIView):
    """``…/builds/{id}/``."""

    @extend_schema(
        summary="Get a build",
        tags=["builds"],
        parameters=[BUILD_ID],
        responses={200: BuildDetailSerializer, 404: NOT_FOUND},
    )
    def get(self, request, namespace, name, build_id):
        repository = repository_visible(request, namespace, name)
        build = build_or_404(repository, build_id)
        context = {"can_write": can_write(request, repository)}
        return Response(BuildDetailSerializer(build, context=context).data)


class BuildCancelApi(APIView):
    """``…/builds/{id}/cancel/``: a queued build never starts; a running one is stopped."""

    @extend_schema(
        summary="Cancel a build",
        description=(
            "A queued build ends `cancelled` at once (200). A running one is asked to stop "
            "(202, `cancel_requested`): its worker stops it within seconds."
        ),
        tags=["builds"],
        request=None,
        parameters=[BUILD_ID],
        responses={
            200: BuildDetailSerializer,
            202: BuildDetailSerializer,
            409: CONFLICT,
            **WRITE_ERRORS,
        },
    )
    def post(self, request, namespace, name, build_id):
        repository = repository_for_writer(request, namespace, name)
        build = build_or_404(repository, build_id)
        if build.is_final:
            raise _ended(build)
        build = services.build_cancel(build=build)
        build.repository = repository
        if build.status != Build.Status.CANCELLED and (
            build.is_final or not build.cancel_requested
        ):
            raise _ended(build)  # it ended while we asked: build_cancel changed nothing
        code = status.HTTP_200_OK if build.is_final else status.HTTP_202_ACCEPTED
        body = BuildDetailSerializer(build, context={"can_write": True}).data
        return Response(body, status=code)


class BuildLogsApi(APIView):
    """``…/builds/{id}/logs/?after=N``: the stored lines after ``N``, as JSON or plain text."""

    renderer_classes = [renderers.JSONRenderer, PlainTextRenderer]

    class QuerySerializer(serializers.Serializer):
        after = serializers.IntegerField(
            min_value=0, default=0, help_text="Only lines with a larger seq."
        )
        limit = serializers.IntegerField(
            min_value=1,
            max_value=10_000,
            required=False,
            help_text="At most this many lines (JSON: default 1000; text: all).",
        )

    @extend_schema(
        summary="Read a build's log",
        description=(
            "Lines after `after`, oldest first. Poll with `after` set to the answer's "
            "`last_seq` until `final`. `?format=text` or `Accept: text/plain` gives the lines "
            "as plain text (headers `X-Last-Seq`, `X-Build-Status`). Errors are always JSON."
        ),
        tags=["builds"],
        parameters=[
            BUILD_ID,
            QuerySerializer,
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "text"]),
        ],
        responses={
            (200, "application/json"): LogSerializer,
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="The lines."),
            (400, "application/json"): VALIDATION,
            (404, "application/json"): NOT_FOUND,
        },
    )
    def get(self, request, namespace, name, build_id):
        repository = repository_visible(request, namespace, name)
        build = build_or_404(repository, build_id)
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        after = query.validated_data["after"]
        text = request.accepted_renderer.format == "text"
        limit = query.validated_data.get("limit", None if text else 1000)
        # The status is read before the lines: a build seen final has written all of them.
        build_status = build.status
        lines = BuildLogLine.objects.filter(build=build, seq__gt=after).order_by("seq")
        if not can_write(request, repository):
            lines = lines.filter(private=False)  # full command lines are for writers
        rows = list(lines.values_list("seq", "text")[: limit + 1 if limit else None])
        more = bool(limit) and len(rows) > limit
        rows = rows[:limit] if limit else rows
        last_seq = rows[-1][0] if rows else after
        if text:
            body = "".join(f"{line}\n" for _, line in rows)
            headers = {"X-Last-Seq": str(last_seq), "X-Build-Status": build_status}
            return Response(body, headers=headers)
        return Response(
            {
                "lines": [{"seq": seq, "text": line} for seq, line in rows],
                "last_seq": last_seq,
                "status": build_status,
                "more": more,
                "final": build_status in Build.FINAL and not more,
            }
        )

    def handle_exception(self, exc):
        # A person reading text still gets the error as JSON with its message, like every 4xx.
        response = super().handle_exception(exc)
        self.request.accepted_renderer = renderers.JSONRenderer()
        self.request.accepted_media_type = "application/json"
        return response
