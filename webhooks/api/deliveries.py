"""A webhook's deliveries: the history with every attempt, the Test ping, Redeliver."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from webhooks import selectors, services
from webhooks.api.common import DELIVERY_ID, ERRORS, WEBHOOK_ID, target_for
from webhooks.api.serializers import DeliverySerializer


class DeliveryListApi(generics.GenericAPIView):
    serializer_class = DeliverySerializer

    @extend_schema(
        summary="List a webhook's deliveries",
        description="Newest first, each with its attempts: time, response code, duration, the "
        "answer's first KB, error; and what the receiver reported to `callback_url`.",
        tags=["webhooks"],
        parameters=[WEBHOOK_ID],
        responses={200: DeliverySerializer(many=True), **ERRORS},
    )
    def get(self, request, namespace, webhook_id, name=None):
        target = target_for(request, namespace, name)
        webhook = selectors.webhook_get(webhook_id=webhook_id, **target.lookup)
        page = self.paginate_queryset(selectors.deliveries_of(webhook=webhook))
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)


class WebhookTestApi(APIView):
    @extend_schema(
        summary="Send a test ping",
        description="Queues a `ping` delivery (the event envelope describing the webhook), sent "
        "once, even when the webhook is off. Read its outcome in the deliveries.",
        tags=["webhooks"],
        parameters=[WEBHOOK_ID],
        request=None,
        responses={202: DeliverySerializer, **ERRORS},
    )
    def post(self, request, namespace, webhook_id, name=None):
        target = target_for(request, namespace, name, write=True)
        webhook = selectors.webhook_get(webhook_id=webhook_id, **target.lookup)
        delivery = services.webhook_ping(webhook=webhook, user=request.user)
        delivery = selectors.delivery_get(webhook=webhook, delivery_id=delivery.pk)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class DeliveryRedeliverApi(APIView):
    @extend_schema(
        summary="Redeliver",
        description="Sends the delivery's event again, once, as a new delivery (a new "
        "`X-Wharf-Delivery` id, signed with the current secret).",
        tags=["webhooks"],
        parameters=[WEBHOOK_ID, DELIVERY_ID],
        request=None,
        responses={202: DeliverySerializer, **ERRORS},
    )
    def post(self, request, namespace, webhook_id, delivery_id, name=None):
        target = target_for(request, namespace, name, write=True)
        webhook = selectors.webhook_get(webhook_id=webhook_id, **target.lookup)
        original = selectors.delivery_get(webhook=webhook, delivery_id=delivery_id)
        again = services.delivery_redeliver(delivery=original)
        again = selectors.delivery_get(webhook=webhook, delivery_id=again.pk)
        return Response(DeliverySerializer(again).data, status=status.HTTP_202_ACCEPTED)
