"""REST API routes of the webhooks app, splatted into hub/api_urls.py's (namespace ``api``).

Every view answers under a repository and under a namespace: ``name`` is absent in the latter.
"""

from django.urls import re_path

from hub.api.common import NAME_PATTERN, NAMESPACE_PATTERN
from webhooks.api.callback import WebhookCallbackApi
from webhooks.api.deliveries import DeliveryListApi, DeliveryRedeliverApi, WebhookTestApi
from webhooks.api.webhooks import WebhookDetailApi, WebhookListApi

REPO = rf"v2/repositories/(?P<namespace>{NAMESPACE_PATTERN})/(?P<name>{NAME_PATTERN})"
NAMESPACE = rf"v2/namespaces/(?P<namespace>{NAMESPACE_PATTERN})"
HOOK = r"webhooks/(?P<webhook_id>[0-9]{1,18})"
DELIVERY = r"deliveries/(?P<delivery_id>[0-9]{1,18})"


def _routes(prefix: str, kind: str) -> list:
    return [
        re_path(rf"^{prefix}/webhooks/$", WebhookListApi.as_view(), name=f"{kind}-webhooks"),
        re_path(rf"^{prefix}/{HOOK}/$", WebhookDetailApi.as_view(), name=f"{kind}-webhook"),
        re_path(
            rf"^{prefix}/{HOOK}/deliveries/$",
            DeliveryListApi.as_view(),
            name=f"{kind}-webhook-deliveries",
        ),
        re_path(rf"^{prefix}/{HOOK}/test/$", WebhookTestApi.as_view(), name=f"{kind}-webhook-test"),
        re_path(
            rf"^{prefix}/{HOOK}/{DELIVERY}/redeliver/$",
            DeliveryRedeliverApi.as_view(),
            name=f"{kind}-webhook-redeliver",
        ),
    ]


urlpatterns = [
    *_routes(REPO, "repository"),
    *_routes(NAMESPACE, "namespace"),
    re_path(
        r"^v2/webhooks/callback/(?P<delivery_uuid>[0-9a-f-]{36})/(?P<token>[0-9a-f]{64})/$",
        WebhookCallbackApi.as_view(),
        name="webhook-callback",
    ),
]
