"""The REST API under /api/ (DRF). The registry protocol lives under /v2/, not here."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

import hub.api.schema  # noqa: F401  (registers the OpenAPI descriptions of our credentials)
from accounts.api import CurrentUserApi, LoginApi
from audit.api_urls import urlpatterns as audit_api_urls
from builds.api.builds import BuildCancelApi, BuildDetailApi, BuildListApi, BuildLogsApi
from builds.api.settings import (
    BuildRuleDetailApi,
    BuildRuleListApi,
    BuildSecretDetailApi,
    BuildSecretListApi,
    BuildSettingsApi,
    RegenerateSecretApi,
)
from builds.api.webhooks import BuildTriggerApi
from hub.api.common import NAME_PATTERN, NAMESPACE_PATTERN, TAG_PATTERN, USERNAME_PATTERN
from hub.api.repositories import NamespaceRepositoriesApi, RepositoryDetailApi
from hub.api.search import SearchApi
from hub.api.stars import StarsApi, UserStarredApi
from hub.api.tags import TagDetailApi, TagListApi
from orgs.api_urls import urlpatterns as orgs_api_urls
from proxy.api_urls import urlpatterns as proxy_api_urls
from webhooks.api_urls import urlpatterns as webhooks_api_urls

app_name = "api"

REPO = rf"v2/repositories/(?P<namespace>{NAMESPACE_PATTERN})/(?P<name>{NAME_PATTERN})"
BUILD = rf"{REPO}/builds/(?P<build_id>[0-9]{{1,18}})"
RULE = rf"{REPO}/build-rules/(?P<rule_id>[0-9]{{1,18}})"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (docs/?script=), not inline,
    # so the docs work under the pages' Content-Security-Policy (script-src 'self').
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    # Docker Hub's path, without the trailing slash.
    path("v2/users/login", LoginApi.as_view(), name="login"),
    path("v2/user/", CurrentUserApi.as_view(), name="current-user"),
    re_path(
        rf"^v2/users/(?P<username>{USERNAME_PATTERN})/starred/$",
        UserStarredApi.as_view(),
        name="user-starred",
    ),
    path("v2/search/repositories/", SearchApi.as_view(), name="search"),
    re_path(
        rf"^v2/repositories/(?P<namespace>{NAMESPACE_PATTERN})/$",
        NamespaceRepositoriesApi.as_view(),
        name="namespace-repositories",
    ),
    re_path(rf"^{REPO}/$", RepositoryDetailApi.as_view(), name="repository"),
    re_path(rf"^{REPO}/tags/$", TagListApi.as_view(), name="tags"),
    re_path(rf"^{REPO}/tags/(?P<tag>{TAG_PATTERN})/$", TagDetailApi.as_view(), name="tag"),
    re_path(rf"^{REPO}/stars/$", StarsApi.as_view(), name="stars"),
    # Automated builds.
    re_path(rf"^{REPO}/builds/$", BuildListApi.as_view(), name="builds"),
    re_path(rf"^{BUILD}/$", BuildDetailApi.as_view(), name="build"),
    re_path(rf"^{BUILD}/cancel/$", BuildCancelApi.as_view(), name="build-cancel"),
    re_path(rf"^{BUILD}/logs/$", BuildLogsApi.as_view(), name="build-logs"),
    re_path(rf"^{REPO}/build-settings/$", BuildSettingsApi.as_view(), name="build-settings"),
    re_path(
        rf"^{REPO}/build-settings/regenerate-secret/$",
        RegenerateSecretApi.as_view(),
        name="build-settings-regenerate-secret",
    ),
    re_path(rf"^{REPO}/build-rules/$", BuildRuleListApi.as_view(), name="build-rules"),
    re_path(rf"^{RULE}/$", BuildRuleDetailApi.as_view(), name="build-rule"),
    re_path(rf"^{REPO}/build-secrets/$", BuildSecretListApi.as_view(), name="build-secrets"),
    re_path(
        rf"^{REPO}/build-secrets/(?P<secret>[A-Za-z_][A-Za-z0-9_.-]{{0,63}})/$",
        BuildSecretDetailApi.as_view(),
        name="build-secret",
    ),
    path("build-triggers/<uuid:trigger_uuid>/", BuildTriggerApi.as_view(), name="build-trigger"),
    *orgs_api_urls,  # organizations, teams, repository permissions, robot accounts
    *webhooks_api_urls,  # webhooks of repositories and namespaces, their deliveries
    *audit_api_urls,  # audit logs of namespaces and repositories
    *proxy_api_urls,  # the pull-through cache's upstream registries (staff)
]
