"""``POST /api/v2/webhooks/callback/{uuid}/{token}/``: Docker Hub's callback. A receiver reports
how the work a delivery started went; the history shows it. The URL is the credential: it is in
the delivery's payload (``callback_url``) and nowhere else."""

from django.core.validators import URLValidator
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import exceptions, serializers
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from hub.api.parsers import JSONParser
from hub.api.schema import VALIDATION
from hub.api.serializers import ErrorSerializer
from webhooks import payloads, selectors, services
from webhooks.api.serializers import CallbackSerializer
from webhooks.models import Delivery

UNKNOWN = "No delivery has this callback URL; use the callback_url of the payload as sent."


@extend_schema_serializer(component_name="WebhookCallbackInput")
class CallbackInputSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=Delivery.CallbackState.choices,
        error_messages={
            "invalid_choice": "state is one of success, failure, error; not “{input}”."
        },
    )
    description = serializers.CharField(max_length=255, allow_blank=True, default="")
    context = serializers.CharField(max_length=100, allow_blank=True, default="")
    target_url = serializers.CharField(
        max_length=500,
        allow_blank=True,
        default="",
        validators=[
            URLValidator(schemes=["http", "https"], message="target_url must be an http(s) URL.")
        ],
    )


class WebhookCallbackApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        summary="Report a delivery's outcome (callback)",
        description="No account: the URL (the payload's `callback_url`) is the credential. "
        "`{state: success|failure|error, description, context, target_url}`, as Docker Hub's "
        "callback takes it; the last report is kept and shown in the delivery history.",
        tags=["webhooks"],
        auth=[],
        request=CallbackInputSerializer,
        responses={
            200: CallbackSerializer,
            400: VALIDATION,
            404: OpenApiResponse(ErrorSerializer, description="No delivery has this URL."),
        },
    )
    def post(self, request, delivery_uuid, token):
        delivery = selectors.delivery_by_uuid(delivery_uuid=delivery_uuid)
        if delivery is None or not payloads.callback_token_matches(delivery.uuid, token):
            raise exceptions.NotFound(UNKNOWN)
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError({"detail": "Send a JSON object: {state, …}."})
        serializer = CallbackInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        delivery = services.delivery_callback(delivery=delivery, **serializer.validated_data)
        return Response(
            {
                "state": delivery.callback_state,
                "description": delivery.callback_description,
                "context": delivery.callback_context,
                "target_url": delivery.callback_target_url,
                "received_at": delivery.callback_at,
            }
        )
