from django.conf import settings


def site(request):
    """What every page needs: the public URL (pull commands), the registry host name, and the
    signed-in person's organizations for the user menu (one query, made only when a page shows
    the menu: the QuerySet is lazy)."""
    from orgs.selectors import user_organizations

    return {
        "wharf_url": settings.WHARF_URL,
        "registry_host": settings.WHARF_URL.split("://", 1)[-1],
        "user_organizations": user_organizations(user=getattr(request, "user", None)),
    }
