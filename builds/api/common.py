"""What the builds API's views share: who may write, lookups scoped to the repository, errors."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, serializers

from builds.models import Build, BuildRule
from hub.api.common import (  # noqa: F401  (repository_for_writer: re-exported)
    repository_for_writer,
    repository_needing,
)
from hub.api.schema import NOT_FOUND, UNAUTHORIZED
from hub.api.serializers import ErrorSerializer
from hub.models import Repository
from hub.permissions import actor_from_request, repository_access

NOT_CONFIGURER = (
    "Only the repository's admins can configure its builds (source, rules, secrets, trigger URL)."
)

WRITE_ERRORS = {
    401: UNAUTHORIZED,
    403: OpenApiResponse(
        ErrorSerializer,
        description="Not allowed to push to the repository, or the token's scope is read-only.",
    ),
    404: NOT_FOUND,
}
CONFLICT = OpenApiResponse(ErrorSerializer, description="The build has already ended.")
BUILD_ID = OpenApiParameter("build_id", OpenApiTypes.INT, OpenApiParameter.PATH)
RULE_ID = OpenApiParameter("rule_id", OpenApiTypes.INT, OpenApiParameter.PATH)


def can_write(request, repository: Repository) -> bool:
    """Whether the caller may push: their rights, narrowed by their access token's scope.

    What only writers see (trigger secrets, build-arg values, full log lines) asks this too, so
    a read-only token reads what its holder could read, never a way to write.
    """
    return repository_access(actor_from_request(request), repository).write


def can_configure(request, repository: Repository) -> bool:
    """Whether the caller may configure builds (source, credentials, rules, secrets, trigger
    URL): the repository's admins, as everything else in its settings."""
    return repository_access(actor_from_request(request), repository).admin


def repository_for_configurer(request, namespace: str, name: str) -> Repository:
    """The repository if the caller may configure its builds."""
    return repository_needing(request, namespace, name, "admin", NOT_CONFIGURER)


def build_or_404(repository: Repository, build_id) -> Build:
    build = (
        Build.objects.select_related("repository__namespace", "triggered_by")
        .filter(repository=repository, pk=int(build_id))
        .first()
    )
    if build is None:
        raise Http404(f"No build {build_id} in {repository.full_name}.")
    return build


def rule_or_404(repository: Repository, rule_id) -> BuildRule:
    rule = BuildRule.objects.filter(repository=repository, pk=int(rule_id)).first()
    if rule is None:
        raise Http404(f"No build rule {rule_id} in {repository.full_name}.")
    rule.repository = repository
    return rule


def service_error(
    error: DjangoValidationError, rename: dict[str, str] | None = None
) -> exceptions.ValidationError:
    """A service's ValidationError as DRF's 400 body: ``{field: [messages]}`` or ``detail``."""
    rename = rename or {}
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(
            {rename.get(field, field): messages for field, messages in error.message_dict.items()}
        )
    return exceptions.ValidationError({"detail": " ".join(error.messages)})


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know: a typo (``tag`` for ``docker_tag``) is an error."""

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(
                f"Unknown fields: {', '.join(sorted(unknown))}. "
                f"Known: {', '.join(sorted(self.fields))}."
            )
        return attrs
