"""Repository names: the distribution grammar, and Wharf's namespace/name split.

``busybox`` is the official ``library/busybox``, as on Docker Hub; ``alice/web`` lives in
alice's namespace; deeper paths (``alice/tools/lint``) stay in the first component's namespace.
"""

import re

from hub.models import LIBRARY
from hub.registry.errors import NameInvalid

COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
NAME_PATTERN = rf"{COMPONENT}(?:/{COMPONENT})*"
NAME_RE = re.compile(rf"^{NAME_PATTERN}$")
MAX_LENGTH = 230
TAG_RE = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")


def split(full_name: str) -> tuple[str, str]:
    """(namespace, name) for a repository name as clients send it, or NAME_INVALID."""
    if len(full_name) > MAX_LENGTH or not NAME_RE.match(full_name):
        raise NameInvalid(
            "invalid repository name: use lowercase letters, digits and separators (. _ -), "
            "in path components separated by /",
            detail={"name": full_name},
        )
    namespace, sep, rest = full_name.partition("/")
    if not sep:
        return LIBRARY, namespace
    return namespace, rest


def canonical(full_name: str) -> str:
    namespace, name = split(full_name)
    return f"{namespace}/{name}"
