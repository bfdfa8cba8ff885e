"""URL patterns of the organization API, splatted into hub/api_urls.py's (namespace ``api``)."""

from django.urls import re_path

from hub.api.common import NAME_PATTERN, NAMESPACE_PATTERN, USERNAME_PATTERN
from orgs.api.common import ORG_PATTERN, ROBOT_PATTERN, TEAM_PATTERN
from orgs.api.members import MemberDetailApi, MemberListApi
from orgs.api.orgs import OrgDetailApi, OrgListApi
from orgs.api.repository_access import (
    CollaboratorDetailApi,
    CollaboratorListApi,
    RepositoryGroupDetailApi,
    RepositoryGroupListApi,
)
from orgs.api.robots import OrgRobotDetailApi, OrgRobotListApi, UserRobotDetailApi, UserRobotListApi
from orgs.api.teams import TeamDetailApi, TeamListApi, TeamMemberDetailApi, TeamMemberListApi

ORG = rf"v2/orgs/(?P<org>{ORG_PATTERN})"
TEAM = rf"{ORG}/groups/(?P<team>{TEAM_PATTERN})"
REPO = rf"v2/repositories/(?P<namespace>{NAMESPACE_PATTERN})/(?P<name>{NAME_PATTERN})"
USER = rf"v2/users/(?P<username>{USERNAME_PATTERN})"
MEMBER = rf"(?P<username>{USERNAME_PATTERN})"
ROBOT = rf"(?P<name>{ROBOT_PATTERN})"

urlpatterns = [
    re_path(r"^v2/orgs/$", OrgListApi.as_view(), name="orgs"),
    re_path(rf"^{ORG}/$", OrgDetailApi.as_view(), name="org"),
    re_path(rf"^{ORG}/members/$", MemberListApi.as_view(), name="org-members"),
    re_path(rf"^{ORG}/members/{MEMBER}/$", MemberDetailApi.as_view(), name="org-member"),
    re_path(rf"^{ORG}/groups/$", TeamListApi.as_view(), name="org-groups"),
    re_path(rf"^{TEAM}/$", TeamDetailApi.as_view(), name="org-group"),
    re_path(rf"^{TEAM}/members/$", TeamMemberListApi.as_view(), name="org-group-members"),
    re_path(rf"^{TEAM}/members/{MEMBER}/$", TeamMemberDetailApi.as_view(), name="org-group-member"),
    re_path(rf"^{ORG}/robots/$", OrgRobotListApi.as_view(), name="org-robots"),
    re_path(rf"^{ORG}/robots/{ROBOT}/$", OrgRobotDetailApi.as_view(), name="org-robot"),
    re_path(rf"^{USER}/robots/$", UserRobotListApi.as_view(), name="user-robots"),
    re_path(rf"^{USER}/robots/{ROBOT}/$", UserRobotDetailApi.as_view(), name="user-robot"),
    # A repository's Permissions (Docker Hub's groups, and collaborators).
    re_path(rf"^{REPO}/groups/$", RepositoryGroupListApi.as_view(), name="repository-groups"),
    re_path(
        rf"^{REPO}/groups/(?P<team>{TEAM_PATTERN})/$",
        RepositoryGroupDetailApi.as_view(),
        name="repository-group",
    ),
    re_path(
        rf"^{REPO}/collaborators/$", CollaboratorListApi.as_view(), name="repository-collaborators"
    ),
    re_path(
        rf"^{REPO}/collaborators/{MEMBER}/$",
        CollaboratorDetailApi.as_view(),
        name="repository-collaborator",
    ),
]
