"""Organization pages under /orgs/, and a repository's Settings → Permissions pages.

Included by hub/urls.py before the repository routes, whose ``<path:name>`` would otherwise
read ``app/settings/permissions`` as the name of a repository.
"""

from django.urls import path

from hub.routes import repository_page_routes
from orgs.views import members, organizations, permissions, robots, teams

# (suffix, view, URL name, POST only), as hub/urls.py lays out the repository tabs.
PERMISSION_PAGES = [
    (
        "settings/permissions/<str:who>/remove/",
        permissions.permission_remove,
        "repository-permission-remove",
        True,
    ),
    (
        "settings/permissions/<str:who>/",
        permissions.permission_change,
        "repository-permission",
        True,
    ),
    ("settings/permissions/", permissions.permissions_tab, "repository-permissions", False),
]

ORG = "orgs/<str:org>/"
TEAM = ORG + "teams/<str:team>/"

urlpatterns = [
    path("orgs/new/", organizations.create, name="org-new"),
    path(ORG, organizations.repositories, name="org"),
    path(ORG + "members/", members.members_tab, name="org-members"),
    path(ORG + "members/<str:username>/", members.member_role, name="org-member"),
    path(ORG + "members/<str:username>/remove/", members.member_remove, name="org-member-remove"),
    path(ORG + "leave/", members.leave, name="org-leave"),
    path(ORG + "teams/", teams.teams_tab, name="org-teams"),
    path(TEAM, teams.team_detail, name="org-team"),
    path(TEAM + "delete/", teams.team_delete, name="org-team-delete"),
    path(TEAM + "members/", teams.team_member_add, name="org-team-member-add"),
    path(
        TEAM + "members/<str:username>/remove/",
        teams.team_member_remove,
        name="org-team-member-remove",
    ),
    path(ORG + "robots/", robots.robots_tab, name="org-robots"),
    path(ORG + "robots/<str:name>/delete/", robots.robot_remove, name="org-robot-delete"),
    path(ORG + "settings/", organizations.settings_tab, name="org-settings"),
    path(ORG + "delete/", organizations.delete, name="org-delete"),
    *repository_page_routes(PERMISSION_PAGES),
]
