"""What the webhooks API's views share: whose webhooks a URL names, who may read or change
them, path parameters and errors.

The order of the checks is the product's rule, as for build settings: 404 for what the caller
may not see (a private repository, another person's namespace, an organization they are not
in), 401 when anonymous, then 403 with a message for what they see but may not administer.
"""

from dataclasses import dataclass

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions

from accounts.models import User
from builds.api.common import StrictSerializer, service_error  # noqa: F401  (re-exported)
from hub.api.common import repository_visible
from hub.api.schema import UNAUTHORIZED
from hub.api.serializers import ErrorSerializer
from hub.models import Namespace, Repository
from hub.permissions import actor_from_request, repository_access
from hub.permissions_admin import (
    namespace_access,
    namespace_administered,
    repository_administered,
)
from hub.services import namespace_for_user

NOT_REPOSITORY_ADMIN = "Only the repository's admins can see and change its webhooks."
NOT_NAMESPACE_ADMIN = (
    "Only {owners} can see and change the webhooks of all {namespace}'s repositories."
)
NOT_VISIBLE = "No namespace {namespace} whose webhooks you may see."

ERRORS = {
    401: UNAUTHORIZED,
    403: OpenApiResponse(
        ErrorSerializer,
        description="Not an admin of the repository (an owner of the namespace), or the "
        "token's scope does not allow it.",
    ),
    404: OpenApiResponse(
        ErrorSerializer,
        description="No such repository, namespace or webhook, or one the caller may not see.",
    ),
}
WEBHOOK_ID = OpenApiParameter("webhook_id", OpenApiTypes.INT, OpenApiParameter.PATH)
DELIVERY_ID = OpenApiParameter("delivery_id", OpenApiTypes.INT, OpenApiParameter.PATH)


@dataclass(frozen=True)
class Target:
    """Whose webhooks: a repository's, or a namespace's (None: an account without one yet)."""

    repository: Repository | None = None
    namespace: Namespace | None = None
    namespace_name: str = ""

    @property
    def lookup(self) -> dict:
        if self.repository is not None:
            return {"repository": self.repository}
        return {"namespace": self.namespace}


def _repository_target(request, namespace: str, name: str, *, write: bool) -> Target:
    repository = repository_visible(request, namespace, name)
    if not request.user.is_authenticated:
        raise exceptions.NotAuthenticated()
    actor = actor_from_request(request)
    allowed = (
        repository_access(actor, repository).admin
        if write
        else repository_administered(actor, repository)
    )
    if not allowed:
        raise exceptions.PermissionDenied(NOT_REPOSITORY_ADMIN)
    return Target(repository=repository)


def _namespace_target(request, name: str, *, write: bool, create: bool) -> Target:
    namespace = Namespace.objects.filter(name=name).first()
    if namespace is None and not User.objects.filter(username=name, is_active=True).exists():
        raise exceptions.NotFound(NOT_VISIBLE.format(namespace=name))
    if not request.user.is_authenticated:
        raise exceptions.NotAuthenticated()
    actor = actor_from_request(request)
    access = namespace_access(actor, namespace, name)
    if not access.see:
        raise exceptions.NotFound(NOT_VISIBLE.format(namespace=name))
    allowed = access.admin if write else namespace_administered(actor, namespace, name)
    if not allowed:
        owners = f"owners of {name}" if namespace is not None and namespace.is_org else name
        raise exceptions.PermissionDenied(NOT_NAMESPACE_ADMIN.format(owners=owners, namespace=name))
    if namespace is None and create:  # an account's first namespace setting
        namespace = namespace_for_user(user=User.objects.get(username=name))
    return Target(namespace=namespace, namespace_name=name)


def target_for(
    request, namespace: str, name: str | None = None, *, write: bool = False, create=False
) -> Target:
    """Whose webhooks the URL names, if the caller may read them (``write``: change them)."""
    if name is not None:
        return _repository_target(request, namespace, name, write=write)
    return _namespace_target(request, namespace, write=write, create=create)
