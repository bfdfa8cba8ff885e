"""The rules for account names (Docker IDs), in one place.

Names become registry namespaces (``HOST/<name>/repo``) and URL segments, so some are reserved:
the official ``library`` namespace, the site's own top-level paths, and words that would confuse
people (``official``, ``docker``) or clients.
"""

import re

from django.core.exceptions import ValidationError

MIN_LENGTH = 4
MAX_LENGTH = 30
NAME_RE = re.compile(r"^[a-z0-9]+$")
HELP_TEXT = f"{MIN_LENGTH}–{MAX_LENGTH} characters: lowercase letters (a–z) and digits (0–9) only."

RESERVED_NAMES = frozenset(
    {
        # namespaces and registry paths
        "library", "official", "docker", "registry", "index", "v1", "v2", "token", "tokens",
        "_catalog", "root",
        # the site's top-level paths
        "admin", "api", "ws", "static", "media", "u", "r", "_", "search", "explore", "login",
        "logout", "signup", "register", "password", "settings", "account", "accounts", "healthz",
        "health", "builds", "build", "repositories", "repository", "users", "user", "orgs",
        "organizations", "teams", "help", "docs", "about", "support", "security", "status",
        # names people would take for the operators
        "wharf", "hub", "administrator", "staff", "system", "webmaster", "postmaster",
        "hostmaster", "abuse", "noreply", "anonymous", "null", "none", "undefined", "www", "mail",
    }
)  # fmt: skip


def validate_username(value: str) -> None:
    """Raise ``ValidationError`` with a message a person can act on."""
    if len(value) < MIN_LENGTH or len(value) > MAX_LENGTH:
        raise ValidationError(
            f"Usernames are {MIN_LENGTH} to {MAX_LENGTH} characters long; "
            f"this one has {len(value)}.",
            code="length",
        )
    if not NAME_RE.match(value):
        if value.lower() != value and NAME_RE.match(value.lower()):
            message = "Use lowercase letters only (a–z) and digits; no capitals."
        else:
            message = (
                "Use only lowercase letters (a–z) and digits (0–9): no spaces, dots or dashes."
            )
        raise ValidationError(message, code="invalid")
    if value in RESERVED_NAMES:
        raise ValidationError(
            f"“{value}” is reserved; please choose another name.", code="reserved"
        )
