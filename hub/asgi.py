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

from hub.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
