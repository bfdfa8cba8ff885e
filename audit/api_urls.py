"""REST API routes of the audit app, splatted into hub/api_urls.py's (namespace ``api``)."""

from django.urls import re_path

from audit.api import NamespaceAuditLogApi, RepositoryAuditLogApi
from hub.api.common import NAME_PATTERN, NAMESPACE_PATTERN

NAMESPACE = rf"v2/namespaces/(?P<namespace>{NAMESPACE_PATTERN})"
REPO = rf"v2/repositories/(?P<namespace>{NAMESPACE_PATTERN})/(?P<name>{NAME_PATTERN})"

urlpatterns = [
    re_path(
        rf"^{NAMESPACE}/audit-logs/$", NamespaceAuditLogApi.as_view(), name="namespace-audit-logs"
    ),
    re_path(
        rf"^{REPO}/audit-logs/$", RepositoryAuditLogApi.as_view(), name="repository-audit-logs"
    ),
]
