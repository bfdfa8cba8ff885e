from django.conf import settings


def site(request):
    """What every page needs: the public URL (pull commands) and the registry host name."""
    return {
        "wharf_url": settings.WHARF_URL,
        "registry_host": settings.WHARF_URL.split("://", 1)[-1],
    }
