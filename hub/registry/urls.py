"""The registry's URLs: ``/v2/`` (distribution spec), ``/token`` and ``/v1/`` search."""

from django.urls import path, re_path

from hub.registry.digests import URL_PATTERN as DIGEST
from hub.registry.views import base, blobs, listing, manifests, search, token, uploads

# Permissive here so a malformed name reaches the view and gets NAME_INVALID, not a bare 404.
NAME = r"[^?#]+?"

urlpatterns = [
    path("v2/", base.probe, name="registry-probe"),
    path("token", token.token, name="registry-token"),
    path("v2/_catalog", listing.catalog, name="registry-catalog"),
    re_path(rf"^v2/(?P<name>{NAME})/tags/list$", listing.tags_list, name="registry-tags"),
    re_path(
        rf"^v2/(?P<name>{NAME})/manifests/(?P<reference>[A-Za-z0-9_.:=+-]+)$",
        manifests.manifest,
        name="registry-manifest",
    ),
    re_path(
        rf"^v2/(?P<name>{NAME})/referrers/(?P<digest>{DIGEST})$",
        manifests.referrers,
        name="registry-referrers",
    ),
    re_path(rf"^v2/(?P<name>{NAME})/blobs/uploads/?$", uploads.start, name="registry-upload"),
    re_path(
        rf"^v2/(?P<name>{NAME})/blobs/uploads/(?P<upload_id>[0-9a-f-]{{36}})$",
        uploads.session,
        name="registry-upload-session",
    ),
    re_path(rf"^v2/(?P<name>{NAME})/blobs/(?P<digest>{DIGEST})$", blobs.blob, name="registry-blob"),
    path("v1/_ping", search.ping, name="registry-v1-ping"),
    path("v1/search", search.search, name="registry-v1-search"),
]
