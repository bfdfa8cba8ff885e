from django.contrib import admin
from django.urls import include, path

from hub.routes import repository_page_routes
from hub.views import browse, health, manage, repositories, tags

# A repository's pages after its /r/<namespace>/<name>/ or official /_/<name>/ prefix:
# (suffix, view, URL name, POST only). Names may hold slashes; the overview comes last.
REPOSITORY_PAGES = [
    ("tags/<str:tag>/delete/", tags.tag_delete, "repository-tag-delete", True),
    ("tags/<str:tag>/", tags.tag_detail, "repository-tag", False),
    ("tags/", tags.tag_list, "repository-tags", False),
    ("builds/", repositories.builds, "repository-builds", False),
    ("settings/", manage.settings_tab, "repository-settings", False),
    ("delete/", manage.delete, "repository-delete", True),
    ("star/", repositories.star, "repository-star", True),
    ("unstar/", repositories.unstar, "repository-unstar", True),
]


def repository_routes():
    routes = repository_page_routes(REPOSITORY_PAGES)
    routes.append(path("r/<str:namespace>/<path:name>/", repositories.overview, name="repository"))
    routes.append(
        path(
            "_/<path:name>/",
            repositories.overview,
            {"namespace": "library"},
            name="official-repository",
        )
    )
    return routes


urlpatterns = [
    path("", include("hub.registry.urls")),
    path("", browse.home, name="home"),
    path("explore/", browse.explore, name="explore"),
    path("search/", browse.search, name="search"),
    path("repositories/new/", repositories.create, name="repository-new"),
    path("", include("builds.urls")),
    path("", include("orgs.urls")),
    path("", include("webhooks.urls")),
    path("", include("audit.urls")),
    path("", include("proxy.urls")),
    *repository_routes(),
    path("healthz", health.healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("api/", include("hub.api_urls")),
    path("admin/", admin.site.urls),
]

handler404 = "hub.errors.not_found"
handler500 = "hub.errors.server_error"
