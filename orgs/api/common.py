"""What the organization API's views share: who may see or change an organization, its teams
and robots, the path patterns, and service errors as 400s.

The order of the checks is the product's rule: 404 for what the caller may not see (the
members, teams and robots of an organization they are not in, a private repository), then 403
with a message for what they see but may not change. An organization itself is public.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, serializers

from accounts.models import User
from hub.api.schema import NOT_FOUND, UNAUTHORIZED
from hub.api.serializers import ErrorSerializer
from hub.models import Namespace
from hub.permissions import OrgAccess, actor_from_request, organization_access
from orgs.errors import OrgError
from orgs.selectors import org_get

# Path segments. Organizations are named like users; teams as orgs.services.TEAM_NAME_RE; a
# robot by its short name (ci) or its full one (acme+ci), as orgs.robots.NAME_RE.
ORG_PATTERN = r"[a-z0-9]+"
TEAM_PATTERN = r"[a-z0-9][a-z0-9_-]{0,49}"
ROBOT_PATTERN = r"(?:[a-z0-9]+\+)?[a-z0-9][a-z0-9_]{0,29}"

ROBOTS_REFUSED = (
    "Robot accounts cannot manage organizations, members, teams, robots or permissions; "
    "use a person's account."
)
NOT_OWNER = "Only owners of {org} can do this."
NOT_MEMBER = "No organization {org} that you are a member of."

ORG_ERRORS = {
    401: UNAUTHORIZED,
    403: OpenApiResponse(
        ErrorSerializer,
        description="Not an owner, a robot account, or the token's scope does not allow it.",
    ),
    404: OpenApiResponse(
        ErrorSerializer,
        description="No such organization, or one whose members, teams and robots the caller "
        "may not see (they are not a member).",
    ),
}
READ_ERRORS = {404: ORG_ERRORS[404]}
REPOSITORY_ERRORS = {
    401: UNAUTHORIZED,
    403: OpenApiResponse(
        ErrorSerializer,
        description="Not an admin of the repository, or the token's scope does not allow it.",
    ),
    404: NOT_FOUND,
}


def path_parameter(name: str, pattern: str, description: str) -> OpenApiParameter:
    """A path segment described with its pattern (as drf-spectacular derives it for segments it
    is not told about), so clients and the fuzzer know what the URL takes."""
    return OpenApiParameter(
        name,
        OpenApiTypes.STR,
        OpenApiParameter.PATH,
        description=description,
        pattern=f"^{pattern}$",
    )


ORG_PARAMETER = path_parameter("org", ORG_PATTERN, "The organization's name.")
TEAM_PARAMETER = path_parameter("team", TEAM_PATTERN, "The team's name.")


def org_error(error: OrgError) -> exceptions.ValidationError:
    """A service's refusal as DRF's 400 body: ``{field: [message]}`` (or ``detail``)."""
    if error.field:
        return exceptions.ValidationError({error.field: [error.message]})
    return exceptions.ValidationError({"detail": error.message})


def refuse_robots(request) -> None:
    """Robots act on repositories only; none of these writes are theirs (403)."""
    if actor_from_request(request).robot is not None:
        raise exceptions.PermissionDenied(ROBOTS_REFUSED)


def org_public(name: str) -> Namespace:
    """An organization anyone may look at; 404 for a user's namespace, library or nothing."""
    return org_get(name=name)


def org_for_member(request, name: str, *, write: bool = False) -> tuple[Namespace, OrgAccess]:
    """The organization if the caller is a member (staff too): its members and teams. 404 for
    anyone else (robots reading included); 403 for robots' ``write``s."""
    org = org_get(name=name)
    if write:
        refuse_robots(request)
    access = organization_access(actor_from_request(request), org)
    if not access.member:
        raise exceptions.NotFound(NOT_MEMBER.format(org=name))
    return org, access


def org_for_owner_read(request, name: str) -> Namespace:
    """For what only owners see (robots): 404 for outsiders, 403 for other members. An owner's
    read-only token reads it too (``OrgAccess.owner`` needs a token that writes)."""
    org, access = org_for_member(request, name)
    if access.role != "owner":
        raise exceptions.PermissionDenied(NOT_OWNER.format(org=org.name))
    return org


def org_for_owner(request, name: str, *, public: bool = False) -> Namespace:
    """For owners' writes: 403 for robots (an organization is public), 404 for outsiders, 403
    for members who are not owners. ``public``: what is changed is the organization itself,
    which outsiders see too, so they get the 403 as well."""
    org = org_get(name=name)
    refuse_robots(request)
    access = organization_access(actor_from_request(request), org)
    if not access.member and not public:
        raise exceptions.NotFound(NOT_MEMBER.format(org=name))
    if not access.owner:
        raise exceptions.PermissionDenied(NOT_OWNER.format(org=org.name))
    return org


def account_for_robots(request, username: str, *, write: bool = False) -> User:
    """The person whose own robots these are, if the caller is them or staff: 404 for anyone
    else (and for robots reading), 403 for robots' writes."""
    account = User.objects.filter(username=username, is_active=True).first()
    missing = exceptions.NotFound(f"No robot accounts of {username!r} that you may see.")
    if account is None:
        raise missing
    if write:
        refuse_robots(request)
    actor = actor_from_request(request)
    if actor.robot is not None or actor.user is None:
        raise missing
    if actor.user.pk != account.pk and not actor.is_staff:
        raise missing
    return account


class StrictSerializer(serializers.Serializer):
    # Refuses fields it does not know: a typo (``permissions``) is an error, not ignored. (A
    # comment, not a docstring: the schema would show it as every input's description.)

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(
                f"Unknown fields: {', '.join(sorted(unknown))}. "
                f"Known: {', '.join(sorted(self.fields))}."
            )
        return attrs
