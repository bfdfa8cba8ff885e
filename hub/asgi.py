"""One ASGI app: pages, REST API and registry over HTTP; live updates over websockets."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
# Django must be set up before anything that imports models (consumers, auth middleware).
django.setup(set_prefix=False)

from hub.registry.streaming import StreamingUploadsASGIHandler  # noqa: E402

# Django's ASGI handler, with blob upload bodies streamed to disk instead of spooled first.
django_asgi_app = StreamingUploadsASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import resolve  # noqa: E402

from hub.registry.fastpath.app import FastPath  # noqa: E402
from hub.routing import websocket_urlpatterns  # noqa: E402

# Resolving one URL now loads every URL pattern, and so every view module: else each web
# process's first request waits a quarter of a second for them.
resolve("/v2/")

application = ProtocolTypeRouter(
    {
        # The registry's hot reads are answered from cache before Django (hub.registry.fastpath).
        "http": FastPath(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
