"""What an upstream's fields may be. Each check raises ``ValidationError`` with a message a
person can act on; ``proxy.services`` puts it under the field's name for forms and the API.

The URL is a registry's base, as dockerd's ``registry-mirrors`` entries are: scheme and host
(and port), nothing else. Wharf appends ``/v2/…`` itself, and a path, query or credentials in the
URL would be sent somewhere the configuration does not show (credentials have their own fields,
stored encrypted).
"""

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

URL_MAX_LENGTH = 255
USERNAME_MAX_LENGTH = 150
# Registry passwords are usually tokens; some are whole JSON key files (GCR's _json_key).
PASSWORD_MAX_LENGTH = 8192
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
NAME_HELP = "1–40 characters: lowercase letters, digits, - and _, starting with a letter or digit."


def validate_name(value: str) -> str:
    name = (value or "").strip()
    if not name:
        raise ValidationError("Give the upstream a name (dockerhub, quay…).", code="required")
    if not NAME_RE.match(name):
        raise ValidationError(f"Use {NAME_HELP}", code="invalid")
    return name


def validate_url(value: str) -> str:
    """The registry's base URL, normalised (``https://registry-1.docker.io``: lowercase scheme
    and host, no trailing slash)."""
    url = (value or "").strip()
    if not url:
        raise ValidationError(
            "Give the registry's URL, such as https://registry-1.docker.io.", code="required"
        )
    if len(url) > URL_MAX_LENGTH:
        raise ValidationError(f"Keep the URL to {URL_MAX_LENGTH} characters.", code="length")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise ValidationError("The URL must not contain spaces.", code="invalid")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationError(
            "That is not a URL Wharf can read; use https://host or https://host:port.",
            code="invalid",
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        shown = f" (not {parts.scheme}:)" if parts.scheme else ""
        raise ValidationError(
            f"An upstream URL must start with https:// or http://{shown}.", code="scheme"
        )
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationError(
            "Put no credentials in the URL: use the username and password fields, which are "
            "stored encrypted.",
            code="userinfo",
        )
    if not parts.hostname:
        raise ValidationError("The URL needs a host, as in https://registry-1.docker.io.")
    if parts.path not in ("", "/"):
        raise ValidationError(
            f"Give the registry's base URL without a path (not {parts.path}): "
            "Wharf adds /v2/ itself.",
            code="path",
        )
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ValidationError("The URL must have no ?query or #fragment.", code="query")
    if port == 0:
        raise ValidationError("Port 0 is not a port a registry listens on.", code="port")
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    return f"{scheme}://{host}" + (f":{port}" if port is not None else "")


def validate_username(value: str) -> str:
    username = (value or "").strip()
    if len(username) > USERNAME_MAX_LENGTH:
        raise ValidationError(
            f"Keep the username to {USERNAME_MAX_LENGTH} characters.", code="length"
        )
    return username


def validate_password(value: str) -> str:
    if len(value) > PASSWORD_MAX_LENGTH:
        raise ValidationError(
            f"Keep the password to {PASSWORD_MAX_LENGTH} characters.", code="length"
        )
    return value
