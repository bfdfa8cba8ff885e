"""``…/webhooks/`` and ``…/webhooks/{id}/`` of a repository (``/api/v2/repositories/{ns}/{name}/``)
or of a namespace, for all its repositories (``/api/v2/namespaces/{ns}/``)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from hub.api.schema import VALIDATION
from webhooks import selectors, services
from webhooks.api.common import ERRORS, WEBHOOK_ID, service_error, target_for
from webhooks.api.serializers import WebhookInputSerializer, WebhookSerializer

DESCRIPTION = (
    "Under `/api/v2/repositories/{namespace}/{name}/` a repository's own webhooks (its admins); "
    "under `/api/v2/namespaces/{namespace}/` those of a namespace, sent for every repository in "
    "it (the account itself, an organization's owners). The secret is write-only."
)


def _fields(request, *, partial: bool) -> dict:
    serializer = WebhookInputSerializer(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _one(target, webhook_id):
    return selectors.webhook_get(webhook_id=webhook_id, **target.lookup)


class WebhookListApi(generics.GenericAPIView):
    serializer_class = WebhookSerializer

    @extend_schema(
        summary="List webhooks",
        description=DESCRIPTION,
        tags=["webhooks"],
        responses={200: WebhookSerializer(many=True), **ERRORS},
    )
    def get(self, request, namespace, name=None):
        target = target_for(request, namespace, name)
        page = self.paginate_queryset(selectors.webhooks_of(**target.lookup))
        return self.get_paginated_response(WebhookSerializer(page, many=True).data)

    @extend_schema(
        summary="Add a webhook",
        description=DESCRIPTION + " The URL must be http(s); deliveries to loopback, private "
        "and link-local addresses are refused unless the hub allows them.",
        tags=["webhooks"],
        request=WebhookInputSerializer,
        responses={201: WebhookSerializer, 400: VALIDATION, **ERRORS},
    )
    def post(self, request, namespace, name=None):
        target = target_for(request, namespace, name, write=True, create=True)
        fields = _fields(request, partial=False)
        try:
            webhook = services.webhook_create(**target.lookup, by=request.user, **fields)
        except DjangoValidationError as error:
            raise service_error(error) from None
        webhook = _one(target, webhook.pk)
        return Response(WebhookSerializer(webhook).data, status=status.HTTP_201_CREATED)


class WebhookDetailApi(APIView):
    # Deleting a webhook removes configuration, not content: a read & write token may.
    token_actions = {"DELETE": "write"}

    @extend_schema(
        summary="Get a webhook",
        tags=["webhooks"],
        parameters=[WEBHOOK_ID],
        responses={200: WebhookSerializer, **ERRORS},
    )
    def get(self, request, namespace, webhook_id, name=None):
        target = target_for(request, namespace, name)
        return Response(WebhookSerializer(_one(target, webhook_id)).data)

    @extend_schema(
        summary="Edit a webhook",
        description="Send only the fields to change; `active: true` turns a webhook Wharf "
        "turned off on again.",
        tags=["webhooks"],
        parameters=[WEBHOOK_ID],
        request=WebhookInputSerializer(partial=True),
        responses={200: WebhookSerializer, 400: VALIDATION, **ERRORS},
    )
    def patch(self, request, namespace, webhook_id, name=None):
        target = target_for(request, namespace, name, write=True)
        webhook = _one(target, webhook_id)
        fields = _fields(request, partial=True)
        try:
            services.webhook_update(webhook=webhook, **fields)
        except DjangoValidationError as error:
            raise service_error(error) from None
        return Response(WebhookSerializer(_one(target, webhook_id)).data)

    @extend_schema(
        summary="Delete a webhook",
        description="Its delivery history goes with it.",
        tags=["webhooks"],
        parameters=[WEBHOOK_ID],
        request=None,
        responses={204: OpenApiResponse(description="Deleted."), **ERRORS},
    )
    def delete(self, request, namespace, webhook_id, name=None):
        target = target_for(request, namespace, name, write=True)
        services.webhook_delete(webhook=_one(target, webhook_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
