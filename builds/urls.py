"""Build pages under a repository's /r/<namespace>/<name>/ or official /_/<name>/ prefix.

Included by hub/urls.py before the repository routes, whose ``<path:name>`` would otherwise
read ``web/builds/7`` as the name of a repository.
"""

from builds import views
from hub.routes import repository_page_routes

# (suffix, view, URL name, POST only), as hub/urls.py lays out the repository tabs.
BUILD_PAGES = [
    ("builds/run/", views.build_run, "build-run", True),
    ("builds/source/", views.source_save, "build-source", True),
    ("builds/trigger-secret/", views.trigger_regenerate, "build-trigger-secret", True),
    ("builds/rules/new/", views.rule_add, "build-rule-add", True),
    ("builds/rules/<int:rule_id>/", views.rule_edit, "build-rule-edit", False),
    ("builds/rules/<int:rule_id>/delete/", views.rule_remove, "build-rule-delete", True),
    ("builds/secrets/new/", views.secret_add, "build-secret-add", True),
    ("builds/secrets/<str:secret>/delete/", views.secret_remove, "build-secret-delete", True),
    ("builds/<int:build_id>/", views.build_detail, "build-detail", False),
    ("builds/<int:build_id>/log.txt", views.build_log, "build-log", False),
    ("builds/<int:build_id>/cancel/", views.build_cancel, "build-cancel", True),
]


urlpatterns = repository_page_routes(BUILD_PAGES)
