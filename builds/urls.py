"""Build pages under a repository's /r/<namespace>/<name>/ or official /_/<name>/ prefix.

Included by hub/urls.py before the repository routes, whose ``<path:name>`` would otherwise
read ``web/builds/7`` as the name of a repository.
"""

import re

from django.urls import path

from builds import views
from hub.views.common import or_longer_name

# (suffix, view, URL name, POST only), as hub/urls.py lays out the repository tabs.
BUILD_PAGES = [
    ("builds/run/", views.build_run, "build-run", True),
    ("builds/source/", views.source_save, "build-source", True),
    ("builds/trigger-secret/", views.trigger_regenerate, "build-trigger-secret", True),
    ("builds/rules/new/", views.rule_add, "build-rule-add", True),
    ("builds/rules/<int:rule_id>/", views.rule_edit, "build-rule-edit", False),
    ("builds/rules/<int:rule_id>/delete/", views.rule_remove, "build-rule-delete", True),
    ("builds/<int:build_id>/", views.build_detail, "build-detail", False),
    ("builds/<int:build_id>/log.txt", views.build_log, "build-log", False),
    ("builds/<int:build_id>/cancel/", views.build_cancel, "build-cancel", True),
]


def build_routes():
    routes = []
    for suffix, view, url_name, post_only in BUILD_PAGES:
        name_part = re.sub(r"<\w+:(\w+)>", r"{\1}", suffix).strip("/")
        view = or_longer_name(view, name_part, post_only=post_only)
        routes.append(path(f"r/<str:namespace>/<path:name>/{suffix}", view, name=url_name))
        routes.append(
            path(
                f"_/<path:name>/{suffix}",
                view,
                {"namespace": "library"},
                name=f"official-{url_name}",
            )
        )
    return routes


urlpatterns = build_routes()
