"""Websocket routes under /ws/. Build log streaming (builds/consumers.py) plugs in here."""

websocket_urlpatterns: list = []
