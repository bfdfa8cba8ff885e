"""The audit log over REST: ``GET /api/v2/namespaces/{ns}/audit-logs/`` and
``GET /api/v2/repositories/{ns}/{name}/audit-logs/``, Docker Hub-style pages of entries.

The same readers as the pages (``hub.permissions``): a namespace's log for the user it is or an
organization's owners, a repository's for its admins, any namespace's for staff. Anyone else
signed in gets a 404, the same as for a log that does not exist; no credentials, a 401.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated

from accounts.permissions import TokenScopeAllows
from audit.display import details_json
from audit.filters import (
    ACTION_CHOICES,
    MOMENT_HELP,
    EventFilter,
    moment_parse,
    order_check,
)
from audit.models import Event
from audit.selectors import (
    audit_namespace_get,
    audit_repository_get,
    namespace_events,
    namespace_held_since,
    repository_events,
)
from hub.api.schema import UNAUTHORIZED, VALIDATION
from hub.api.serializers import ErrorSerializer
from hub.permissions import actor_from_request

NOT_FOUND = OpenApiResponse(
    ErrorSerializer,
    description="No such namespace or repository, or one whose log the caller may not read.",
)


@extend_schema_serializer(component_name="AuditLogEntry")
class AuditLogEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    actor = serializers.SerializerMethodField(
        help_text="The acting account's name; null when anonymous."
    )
    actor_kind = serializers.ChoiceField(
        choices=Event.ActorKind.choices,
        help_text="user (password, session), token (an access token: see details.token_name), "
        "robot, build (a build, on behalf of actor), anonymous, system (Wharf's worker).",
    )
    ip = serializers.IPAddressField(allow_null=True)
    action = serializers.CharField(help_text="push, delete, build.success, token.revoked, …")
    repository = serializers.SerializerMethodField(
        help_text="namespace/name, kept after the repository is deleted; null if none."
    )
    tag = serializers.CharField(allow_blank=True)
    digest = serializers.CharField(allow_blank=True)
    details = serializers.SerializerMethodField(
        help_text="What the event recorded (push: media_type, platforms; delete: kind; …), "
        "and token_name: the access token that acted, or null."
    )

    @extend_schema_field(OpenApiTypes.STR)
    def get_actor(self, event: Event) -> str | None:
        return event.actor_name or None

    @extend_schema_field(OpenApiTypes.STR)
    def get_repository(self, event: Event) -> str | None:
        return event.repository_name or None

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_details(self, event: Event) -> dict:
        return details_json(event)


class AuditLogQuerySerializer(serializers.Serializer):
    actor = serializers.CharField(
        max_length=150, required=False, allow_blank=True, help_text="A username, exactly."
    )
    action = serializers.ChoiceField(
        choices=ACTION_CHOICES,
        required=False,
        allow_blank=True,
        help_text="An action, or a family ending in a dot (build.).",
    )
    since = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text=f"From then on. {MOMENT_HELP}"
    )
    until = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text=f"Up to then (a date: its whole day). {MOMENT_HELP}",
    )

    def _moment(self, value: str, *, end: bool):
        try:
            return moment_parse(value, end=end)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None

    def validate_since(self, value):
        return self._moment(value, end=False)

    def validate_until(self, value):
        return self._moment(value, end=True)

    def validate(self, attrs):
        try:
            order_check(attrs.get("since"), attrs.get("until"))
        except ValueError as error:
            raise serializers.ValidationError({"until": [str(error)]}) from None
        return attrs

    def filters(self) -> EventFilter:
        data = self.validated_data
        return EventFilter(
            actor=data.get("actor", "").strip(),
            action=data.get("action", ""),
            repository=data.get("repository", "").strip().strip("/"),
            since=data.get("since"),
            until=data.get("until"),
        )


class NamespaceAuditLogQuerySerializer(AuditLogQuerySerializer):
    repository = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        help_text="A repository's name in the namespace (app); deleted ones' too.",
    )


class AuditLogApi(generics.GenericAPIView):
    permission_classes = [IsAuthenticated, TokenScopeAllows]
    serializer_class = AuditLogEntrySerializer

    def _page(self, request, events):
        page = self.paginate_queryset(events)
        return self.get_paginated_response(AuditLogEntrySerializer(page, many=True).data)


class NamespaceAuditLogApi(AuditLogApi):
    """``/api/v2/namespaces/{namespace}/audit-logs/``."""

    @extend_schema(
        summary="List a namespace's audit log",
        description="Newest first: every event in the namespace, its deleted repositories' "
        "included. For the user it is, an organization's owners, and staff.",
        tags=["audit"],
        parameters=[NamespaceAuditLogQuerySerializer],
        responses={
            200: AuditLogEntrySerializer(many=True),
            400: VALIDATION,
            401: UNAUTHORIZED,
            404: NOT_FOUND,
        },
    )
    def get(self, request, namespace):
        holder = audit_namespace_get(viewer=actor_from_request(request), name=namespace)
        query = NamespaceAuditLogQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        events = namespace_events(
            namespace=namespace,
            filters=query.filters(),
            held_since=namespace_held_since(holder, namespace),
        )
        return self._page(request, events)


class RepositoryAuditLogApi(AuditLogApi):
    """``/api/v2/repositories/{namespace}/{name}/audit-logs/``."""

    @extend_schema(
        summary="List a repository's audit log",
        description="Newest first. For the repository's admins (and staff).",
        tags=["audit"],
        parameters=[AuditLogQuerySerializer],
        responses={
            200: AuditLogEntrySerializer(many=True),
            400: VALIDATION,
            401: UNAUTHORIZED,
            404: NOT_FOUND,
        },
    )
    def get(self, request, namespace, name):
        viewer = actor_from_request(request)
        repository = audit_repository_get(viewer=viewer, namespace=namespace, name=name)
        query = AuditLogQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        events = repository_events(repository=repository, filters=query.filters())
        return self._page(request, events)
