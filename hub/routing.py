"""Websocket routes under /ws/."""

from django.urls import path

from builds.consumers import BuildLogConsumer

websocket_urlpatterns: list = [
    path("ws/builds/<int:build_id>/", BuildLogConsumer.as_asgi()),
]
