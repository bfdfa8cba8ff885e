"""URL patterns for pages that hang off a repository: /r/<namespace>/<name>/… and /_/<name>/…."""

import re

from django.urls import path

from hub.views.common import or_longer_name


def repository_page_routes(pages) -> list:
    """Routes for (suffix, view, URL name, POST only) entries, under both prefixes.

    Official repositories also answer at /_/<name>/ (namespace library), as on Docker Hub.
    """
    routes = []
    for suffix, view, url_name, post_only in pages:
        # "tags/<str:tag>/" read as the end of a longer repository name: "tags/{tag}".
        name_part = re.sub(r"<\w+:(\w+)>", r"{\1}", suffix).strip("/")
        view = or_longer_name(view, name_part, post_only=post_only)
        routes.append(path(f"r/<str:namespace>/<path:name>/{suffix}", view, name=url_name))
        routes.append(
            path(
                f"_/<path:name>/{suffix}",
                view,
                {"namespace": "library"},
                name=f"official-{url_name}",
            )
        )
    return routes
