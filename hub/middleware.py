"""Content-Security-Policy on every HTML response (settings.WHARF_CSP says what it allows).

A page's scripts, styles, images and connections come from this hub only, and no page runs
inline script or carries inline style: whatever slips past escaping (a ``<script>`` in a README,
an ``onerror=`` in a build log) is inert in the browser. Scripts may still set ``element.style``;
the policy governs markup, not the CSSOM.
"""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings

HEADER = "Content-Security-Policy"


def policy_header(directives: dict[str, list[str]]) -> str:
    """``{"default-src": ["'self'"], ...}`` as the header's value."""
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


def policy_for(response) -> str | None:
    """The policy ``response`` should carry, or None when it needs none (or brings its own)."""
    content_type = response.get("Content-Type", "").partition(";")[0].strip().lower()
    if content_type != "text/html" or HEADER in response:
        return None
    if settings.DEBUG and response.status_code >= 400:
        # Django's technical 404 and 500 pages (DEBUG only) style and script themselves inline.
        return None
    directives = settings.WHARF_CSP
    if getattr(getattr(response, "accepted_renderer", None), "format", None) == "api":
        # DRF's browsable API (an /api/ endpoint opened in a browser) styles its pages inline;
        # inline styles only, on those pages only: every script stays barred.
        directives = {**directives, **settings.WHARF_CSP_BROWSABLE_API}
    return policy_header(directives)


def _apply(response):
    policy = policy_for(response)
    if policy:
        response[HEADER] = policy
    return response


class ContentSecurityPolicyMiddleware:
    """Adds the header on the way out; sync or async, whichever the stack below it is."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        return _apply(self.get_response(request))

    async def __acall__(self, request):
        return _apply(await self.get_response(request))
