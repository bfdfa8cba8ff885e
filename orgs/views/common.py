"""What the organization pages share: finding the organization, who may see which tab."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from hub.models import Namespace
from hub.permissions import OrgAccess, organization_access
from orgs.selectors import org_get

PUBLIC, MEMBERS, OWNERS = "public", "members", "owners"


def org_for(request, org: str, *, see: str = PUBLIC) -> tuple[Namespace, OrgAccess]:
    """The organization and what the viewer may do in it.

    ``see`` says who may see the page: everyone, its members, or its owners. Anyone else gets a
    404, never a 403: a tab one may not see is as absent as a missing page.
    """
    namespace = org_get(name=org)
    access = organization_access(request.user, namespace)
    if (see == MEMBERS and not access.member) or (see == OWNERS and not access.owner):
        raise Http404("No such page")
    return namespace, access


def require_owner(access: OrgAccess, org: Namespace) -> None:
    """A change only owners make, asked by a member who can see the page: 403 saying so."""
    if not access.owner:
        raise PermissionDenied(f"Only owners of {org.name} can do that.")


def org_context(org: Namespace, access: OrgAccess, tab: str) -> dict:
    """The header and tabs every organization page shows."""
    return {"org": org, "access": access, "tab": tab}
