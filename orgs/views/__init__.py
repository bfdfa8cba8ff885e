"""Organization pages (/orgs/…) and a repository's Settings → Permissions page.

Who may see a page and who may change something on it come from ``hub.permissions``
(``organization_access``, ``repository_access``): what one may not see is a 404, exactly like
a missing page; what one sees but may not change is a 403.
"""
