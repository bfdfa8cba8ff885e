"""Websocket routes under /ws/."""

from django.urls import path

from builds.consumers import BuildLogConsumer
from builds.history_consumer import BuildHistoryConsumer

websocket_urlpatterns: list = [
    path("ws/builds/<int:build_id>/", BuildLogConsumer.as_asgi()),
    # Repository names may hold slashes (alice/tools/lint); the namespace cannot.
    path("ws/r/<str:namespace>/<path:name>/builds/", BuildHistoryConsumer.as_asgi()),
]
