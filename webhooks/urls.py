"""Settings → Webhooks pages: a repository's under /r/<namespace>/<name>/settings/webhooks/
(official ones under /_/<name>/…), a namespace's under /u/<namespace>/-/webhooks/.

Included by hub/urls.py before the repository routes, whose ``<path:name>`` would otherwise
read ``app/settings/webhooks`` as the name of a repository.
"""

from django.urls import path

from hub.routes import repository_page_routes
from webhooks import views

HOOK = "webhooks/<int:webhook_id>/"
REDELIVER = HOOK + "deliveries/<int:delivery_id>/redeliver/"
# (suffix, view, URL name, POST only): after a repository's settings/, or a namespace's -/.
PAGES = [
    (REDELIVER, views.delivery_redeliver, "webhook-redeliver", True),
    (HOOK + "delete/", views.webhook_delete, "webhook-delete", True),
    (HOOK + "toggle/", views.webhook_toggle, "webhook-toggle", True),
    (HOOK + "test/", views.webhook_test, "webhook-test", True),
    (HOOK, views.webhook_detail, "webhook", False),
    ("webhooks/", views.webhook_list, "webhooks", False),
]

REPOSITORY_PAGES = [
    (f"settings/{suffix}", view, f"repository-{name}", post_only)
    for suffix, view, name, post_only in PAGES
]
NAMESPACE_ROUTES = [
    path(f"u/<str:namespace>/-/{suffix}", view, name=f"namespace-{name}")
    for suffix, view, name, _ in PAGES
]

urlpatterns = [*repository_page_routes(REPOSITORY_PAGES), *NAMESPACE_ROUTES]
