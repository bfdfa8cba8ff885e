"""Page routes of the audit app, included by hub/urls.py (before the repository routes, whose
``<path:name>`` would otherwise read ``app/settings/activity`` as a repository's name).

``/u/<ns>/-/activity/``: usernames and organization names never hold a ``-``-only segment, and
``/u/<name>/`` (the profile, an organization's redirect) takes one segment only.
"""

from django.urls import path

from audit import views
from hub.routes import repository_page_routes

# (suffix, view, URL name, POST only), as hub/urls.py lays out the repository tabs.
AUDIT_PAGES = [
    ("settings/activity/", views.repository_activity, "repository-activity", False),
]

urlpatterns = [
    path("u/<str:namespace>/-/activity/", views.namespace_activity, name="namespace-activity"),
    path("-/activity/", views.site_activity, name="site-activity"),
    *repository_page_routes(AUDIT_PAGES),
]
