"""``POST /api/build-triggers/{uuid}/``: git hosts start builds; the secret proves the caller."""

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from builds import services, triggers
from builds.models import BuildSettings, SourceType
from hub.api.parsers import JSONParser
from hub.api.schema import VALIDATION
from hub.api.serializers import ErrorSerializer

NO_SECRET = (
    "Send the trigger secret: ?token=, an X-Wharf-Token or X-Gitlab-Token header, or sign "
    "the body (X-Hub-Signature-256, X-Gitea-Signature)."
)
WRONG_SECRET = "The trigger secret does not match. Copy it again from the repository's settings."


@extend_schema_serializer(component_name="BuildTriggerPayload")
class PayloadSerializer(serializers.Serializer):
    """The documented minimum; GitHub, GitLab and Gitea push payloads are accepted as sent."""

    ref = serializers.CharField(help_text="`main`, `refs/heads/main` or `refs/tags/v1.2`.")
    commit = serializers.CharField(required=False, help_text="The pushed commit's sha.")
    source_type = serializers.ChoiceField(
        choices=SourceType.choices, required=False, help_text="For a bare `ref`; default branch."
    )
    message = serializers.CharField(
        required=False, help_text="The commit message: `[skip build]` in it skips."
    )


@extend_schema_serializer(component_name="BuildTriggerResult")
class ResultSerializer(serializers.Serializer):
    builds = serializers.ListField(child=serializers.IntegerField(), help_text="Queued build ids.")
    detail = serializers.CharField(required=False, help_text="Why nothing was queued.")
    skipped = serializers.BooleanField(required=False, help_text="`[skip build]` was asked for.")
    ignored = serializers.BooleanField(required=False, help_text="A ping, a deleted ref…")


def _header(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name, OpenApiTypes.STR, OpenApiParameter.HEADER, description=description
    )


class BuildTriggerApi(APIView):
    """Queues a build for every active autobuild rule that covers the pushed branch or tag."""

    authentication_classes = []
    permission_classes = [AllowAny]
    # What triggers.parse_body reads (the view reads the raw body itself, for the signature).
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        summary="Trigger builds from a git push (webhook)",
        description=(
            "No account: the repository's trigger secret is the credential, sent as `?token=`, "
            "`X-Wharf-Token`, `X-Gitlab-Token`, or as an HMAC-SHA256 of the body "
            "(`X-Hub-Signature-256: sha256=…` from GitHub, `X-Gitea-Signature` from Gitea). "
            "The body is `{ref, commit}` or a GitHub, GitLab or Gitea push event. A commit "
            "message with `[skip build]` or `[ci skip]` skips; deleted refs are ignored."
        ),
        tags=["builds"],
        auth=[],
        request=PayloadSerializer,
        parameters=[
            OpenApiParameter("token", OpenApiTypes.STR, description="The trigger secret."),
            _header("X-Wharf-Token", "The trigger secret."),
            _header("X-Gitlab-Token", "The trigger secret (GitLab's secret token)."),
            _header("X-Hub-Signature-256", "`sha256=` and the body's HMAC-SHA256 (GitHub)."),
            _header("X-Gitea-Signature", "The body's HMAC-SHA256 in hex (Gitea)."),
        ],
        responses={
            200: OpenApiResponse(ResultSerializer, description="Nothing to build, and why."),
            202: OpenApiResponse(ResultSerializer, description="Builds queued."),
            400: VALIDATION,
            403: OpenApiResponse(ErrorSerializer, description="Missing or wrong secret."),
            404: OpenApiResponse(ErrorSerializer, description="No such trigger."),
        },
    )
    def post(self, request, trigger_uuid):
        # The raw bytes first: the signature is over exactly what was sent.
        try:
            body = request.body
        except RequestDataTooBig:
            raise exceptions.ValidationError({"detail": "The body is too large."}) from None
        row = (
            BuildSettings.objects.select_related("repository__namespace")
            .filter(trigger_uuid=trigger_uuid)
            .first()
        )
        if row is None:
            raise Http404("No such build trigger.")
        headers, query = request.headers, request.query_params
        if not triggers.secret_presented(headers, query):
            raise exceptions.PermissionDenied(NO_SECRET)
        if not triggers.secret_matches(row.trigger_secret, body, headers, query):
            raise exceptions.PermissionDenied(WRONG_SECRET)
        try:
            data = triggers.parse_body(body, request.content_type or "")
            push = triggers.parse_push(data, headers)
        except triggers.PayloadError as error:
            raise exceptions.ValidationError({"detail": str(error)}) from None
        except triggers.Ignored as ignored:
            return Response({"builds": [], "ignored": True, "detail": str(ignored)})
        if marker := push.skip_marker:
            detail = f"The commit message says {marker}: nothing built."
            return Response({"builds": [], "skipped": True, "detail": detail})
        return self._queue(row, push)

    @staticmethod
    def _queue(row: BuildSettings, push: triggers.Push) -> Response:
        try:
            with transaction.atomic():  # all of the matching rules' builds, or none
                builds = services.builds_for_ref(
                    repository=row.repository,
                    source_type=push.source_type,
                    ref=push.ref,
                    trigger="webhook",
                    autobuild_only=True,
                )
        except DjangoValidationError as error:
            raise exceptions.ValidationError({"detail": " ".join(error.messages)}) from None
        if not builds:
            detail = f"No active autobuild rule covers {push.source_type} “{push.ref}”."
            return Response({"builds": [], "detail": detail})
        if message := services.queue_failure(builds):
            # 503: git hosts retry a delivery that failed this way, or show it for a redeliver.
            return Response(
                {"builds": [b.pk for b in builds], "detail": message},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": "30"},
            )
        return Response({"builds": [b.pk for b in builds]}, status=status.HTTP_202_ACCEPTED)
