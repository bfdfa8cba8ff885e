"""Staff pages of the pull-through cache, included by hub/urls.py. ``/-/…`` as the site's
activity page: no user, organization or repository path starts with a ``-`` segment."""

from django.urls import path

from proxy import views

urlpatterns = [
    path("-/upstreams/", views.upstream_list, name="upstreams"),
    path("-/upstreams/<slug:name>/", views.upstream_detail, name="upstream"),
    path("-/upstreams/<slug:name>/delete/", views.upstream_delete, name="upstream-delete"),
]
