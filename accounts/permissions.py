from rest_framework import permissions

from accounts.models import AccessToken


def required_action(method: str) -> str:
    """What a request needs from a token's scope: read for safe methods, delete, or write."""
    if method in permissions.SAFE_METHODS:
        return "read"
    if method == "DELETE":
        return "delete"
    return "write"


class TokenScopeAllows(permissions.BasePermission):
    """A request made with an access token may only do what the token's scope grants.

    A view may map a method to another action with ``token_actions`` (unstarring is a DELETE
    but removes nothing of the account's content, so it needs only ``write``).
    """

    message = "This access token's scope does not allow this action."

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if not hasattr(token, "grants"):  # a session or an API token: the account's full rights
            return True
        overrides = getattr(view, "token_actions", None) or {}
        action = overrides.get(request.method) or required_action(request.method)
        if not token.grants(action):
            if isinstance(token, AccessToken):
                self.message = (
                    f"This access token is {token.get_scope_display()}; it cannot {action}."
                )
            else:  # a robot
                self.message = f"This robot may {', '.join(token.actions)}; it cannot {action}."
            return False
        return True
