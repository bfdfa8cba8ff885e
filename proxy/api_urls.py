"""REST API routes of the proxy app, splatted into hub/api_urls.py's (namespace ``api``)."""

from django.urls import re_path

from proxy.api.upstreams import UpstreamDetailApi, UpstreamListApi

urlpatterns = [
    re_path(r"^v2/upstreams/$", UpstreamListApi.as_view(), name="upstreams"),
    re_path(
        r"^v2/upstreams/(?P<name>[a-z0-9][a-z0-9_-]{0,39})/$",
        UpstreamDetailApi.as_view(),
        name="upstream",
    ),
]
