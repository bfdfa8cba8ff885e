"""Output and input shapes of the webhooks API. A webhook's secret is write-only: the output
says only whether one is set."""

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from hub.events import WEBHOOK_ACTIONS
from webhooks.api.common import StrictSerializer
from webhooks.models import Delivery, Webhook
from webhooks.services import NAME_MAX_LENGTH, SECRET_MAX_LENGTH
from webhooks.validation import URL_MAX_LENGTH

EVENTS_HELP = (
    f"Any of {', '.join(f'`{a}`' for a in WEBHOOK_ACTIONS)}; `build.finished` stands for "
    "`build.success`, `build.failed` and `build.cancelled`, `*` for all."
)

# Plain strings in the schema: an enum named "status" would rename the builds' one.
STATUS_HELP = (
    "`pending` (an attempt is due, or a retry is scheduled), `success` (a 2xx answer) or "
    "`failed` (the retries ran out, or it could not be sent)."
)


@extend_schema_serializer(component_name="WebhookLastDelivery")
class LastDeliverySerializer(serializers.Serializer):
    status = serializers.CharField(help_text=STATUS_HELP)
    response_code = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="Webhook")
class WebhookSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    active = serializers.BooleanField()
    has_secret = serializers.BooleanField(help_text="The secret itself is never shown.")
    scope = serializers.ChoiceField(choices=["repository", "namespace"])
    repository = serializers.SerializerMethodField()
    namespace = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    failing_since = serializers.DateTimeField(
        allow_null=True, help_text="Every attempt since has failed; null while it works."
    )
    disabled_reason = serializers.CharField(
        help_text="Why Wharf turned it off (failing for days); empty otherwise."
    )
    disabled_at = serializers.DateTimeField(allow_null=True)
    last_delivery = serializers.SerializerMethodField()

    def get_repository(self, webhook: Webhook) -> str | None:
        return webhook.repository.full_name if webhook.repository_id else None

    def get_namespace(self, webhook: Webhook) -> str:
        if webhook.repository_id:
            return webhook.repository.namespace.name
        return webhook.namespace.name

    def get_created_by(self, webhook: Webhook) -> str | None:
        return webhook.created_by.username if webhook.created_by_id else None

    @extend_schema_field(LastDeliverySerializer(allow_null=True))
    def get_last_delivery(self, webhook: Webhook) -> dict | None:
        status = getattr(webhook, "last_status", None)
        if status is None:
            return None
        return {
            "status": status,
            "response_code": webhook.last_response_code,
            "created_at": webhook.last_delivery_at,
        }


@extend_schema_serializer(component_name="WebhookInput")
class WebhookInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=NAME_MAX_LENGTH, trim_whitespace=True)
    url = serializers.CharField(
        max_length=URL_MAX_LENGTH, help_text="http:// or https://; redirects are not followed."
    )
    events = serializers.ListField(
        child=serializers.CharField(max_length=40), max_length=50, help_text=EVENTS_HELP
    )
    secret = serializers.CharField(
        max_length=SECRET_MAX_LENGTH,
        allow_blank=True,
        required=False,
        write_only=True,
        trim_whitespace=False,
        help_text="Signs each delivery (`X-Wharf-Signature-256`). Write-only, stored encrypted; "
        "empty removes it. Left out of a PATCH, it is kept.",
    )
    active = serializers.BooleanField(
        default=True, help_text="Turning it on again clears why Wharf turned it off."
    )


@extend_schema_serializer(component_name="WebhookDeliveryAttempt")
class AttemptSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    response_code = serializers.IntegerField(allow_null=True)
    duration_ms = serializers.IntegerField()
    response_body = serializers.CharField(help_text="The answer's first KB.")
    error = serializers.CharField()


@extend_schema_serializer(component_name="WebhookCallback")
class CallbackSerializer(serializers.Serializer):
    state = serializers.CharField()
    description = serializers.CharField()
    context = serializers.CharField()
    target_url = serializers.CharField()
    received_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="WebhookDelivery")
class DeliverySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    uuid = serializers.UUIDField(help_text="The X-Wharf-Delivery header.")
    event = serializers.CharField(source="action", help_text="The X-Wharf-Event header.")
    status = serializers.CharField(help_text=STATUS_HELP)
    manual = serializers.BooleanField(help_text="A test ping or a redelivery: one attempt.")
    redelivery_of = serializers.IntegerField(source="redelivery_of_id", allow_null=True)
    created_at = serializers.DateTimeField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    response_code = serializers.IntegerField(allow_null=True)
    duration_ms = serializers.IntegerField(allow_null=True)
    response_body = serializers.CharField(help_text="The last answer's first KB.")
    error = serializers.CharField()
    callback = serializers.SerializerMethodField()
    attempts = AttemptSerializer(source="attempt_rows", many=True)
    payload = serializers.CharField(help_text="The exact body sent (JSON).")

    @extend_schema_field(CallbackSerializer(allow_null=True))
    def get_callback(self, delivery: Delivery) -> dict | None:
        if not delivery.callback_state:
            return None
        return {
            "state": delivery.callback_state,
            "description": delivery.callback_description,
            "context": delivery.callback_context,
            "target_url": delivery.callback_target_url,
            "received_at": delivery.callback_at,
        }
