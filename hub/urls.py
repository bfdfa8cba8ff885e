from django.contrib import admin
from django.urls import include, path

from hub import views

urlpatterns = [
    path("", include("hub.registry.urls")),
    path("", views.home, name="home"),
    path("explore/", views.explore, name="explore"),
    path("search/", views.search, name="search"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("api/", include("hub.api_urls")),
    path("admin/", admin.site.urls),
]

handler404 = "hub.errors.not_found"
handler500 = "hub.errors.server_error"
