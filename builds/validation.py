"""Build sources are untrusted input handed to git and the builder: validate every piece.

Messages say what is wrong and what is allowed; each raises ``django.core.exceptions
.ValidationError`` so forms and the API show it next to the field.
"""

import posixpath
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

REMOTE_SCHEMES = {"https", "http", "ssh", "git"}
SCP_LIKE = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[A-Za-z0-9._/~-]+$")  # git@host:org/repo
REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|\.lock$|/$|\.$")
BUILD_ARG_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TAG_TEMPLATE_PART = re.compile(r"\{(sourceref|short_sha|\\[0-9])\}")
TAG_LITERAL = re.compile(r"^[A-Za-z0-9_.-]*$")


def url_kinds() -> str:
    """The kinds of git URL this hub builds from, in words."""
    if settings.WHARF_BUILD_ALLOW_LOCAL_SOURCES:
        return "an https://, http://, ssh://, git:// or file:// URL, user@host:path or a local path"
    return "an https://, http://, ssh:// or git:// URL, or user@host:path"


def validate_source_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise ValidationError("Give the git URL to build from.", code="required")
    if any(ord(c) < 0x21 for c in url) or url.startswith("-"):
        raise ValidationError("A git URL cannot contain spaces or start with “-”.", code="invalid")
    if "::" in url.split("/", 1)[0] or url.lower().startswith("ext:"):
        raise ValidationError("Git transport helpers (such as ext::) are not allowed.", code="ext")
    if SCP_LIKE.match(url):
        return url
    scheme = urlsplit(url).scheme.lower()
    local = scheme == "file" or url.startswith("/")
    if local:
        if not settings.WHARF_BUILD_ALLOW_LOCAL_SOURCES:
            raise ValidationError(
                "Local paths and file:// URLs are disabled here; "
                "use an https, http, ssh or git URL.",
                code="local",
            )
        return url
    if scheme not in REMOTE_SCHEMES:
        raise ValidationError(f"Use {url_kinds()}.", code="scheme")
    if not urlsplit(url).hostname:
        raise ValidationError("The git URL needs a host name.", code="invalid")
    return url


def validate_ref(ref: str, what: str = "branch or tag") -> str:
    ref = (ref or "").strip()
    if not ref:
        raise ValidationError(f"Name the {what} to build.", code="required")
    if ref.startswith("-") or ref.startswith("/") or len(ref) > 200 or REF_FORBIDDEN.search(ref):
        raise ValidationError(
            f"“{ref}” is not a valid git {what} name (no spaces, “..”, “~^:?*[\\”, "
            "leading “-” or “/”).",
            code="invalid",
        )
    return ref


def validate_repo_path(path: str, what: str, default: str) -> str:
    """A path inside the checked-out repository, normalised and relative ("." for the root)."""
    path = (path or "").strip() or default
    if "\x00" in path or path.lstrip("/").startswith("-"):
        raise ValidationError(f"The {what} cannot start with “-”.", code="invalid")
    normal = posixpath.normpath("/" + path.lstrip("/"))
    if normal.startswith("/..") or ".." in path.split("/"):
        raise ValidationError(f"The {what} must stay inside the repository (no “..”).", "escape")
    relative = normal.lstrip("/")
    return relative or "."


def validate_build_args(args) -> dict[str, str]:
    if args in (None, ""):
        return {}
    if isinstance(args, str):  # "KEY=value" lines, as typed in a form
        pairs = {}
        for line in args.splitlines():
            if line.strip():
                key, sep, value = line.partition("=")
                if not sep:
                    raise ValidationError(f"Write build args as KEY=value; got “{line.strip()}”.")
                pairs[key.strip()] = value.strip()
        args = pairs
    if not isinstance(args, dict):
        raise ValidationError("Build args must be an object of KEY: value.", code="invalid")
    if len(args) > 50:
        raise ValidationError("At most 50 build args.", code="too_many")
    clean = {}
    for key, value in args.items():
        if not isinstance(key, str) or not BUILD_ARG_KEY.match(key):
            raise ValidationError(
                f"Build arg name “{key}” must be letters, digits and _ (not first a digit)."
            )
        if not isinstance(value, str | int | float) or len(str(value)) > 1000:
            raise ValidationError(f"Build arg {key} must be a string of at most 1000 characters.")
        clean[key] = str(value)
    return clean


def validate_tag_template(template: str) -> str:
    template = (template or "").strip() or "latest"
    literal = TAG_TEMPLATE_PART.sub("", template)
    if len(template) > 128 or not TAG_LITERAL.match(literal) or template[0] in ".-":
        raise ValidationError(
            "A Docker tag is letters, digits, _ . and - (not starting with . or -); "
            "templates may use {sourceref}, {short_sha} and {\\1}…{\\9}.",
            code="invalid",
        )
    return template


def validate_source_pattern(source: str) -> str:
    """A ref name, or a regex between slashes (``/^v([0-9.]+)$/``)."""
    source = (source or "").strip()
    if len(source) > 1 and source.startswith("/") and source.endswith("/"):
        try:
            re.compile(source[1:-1])
        except re.error as exc:
            raise ValidationError(f"The source regex does not compile: {exc}.") from None
        return source
    return validate_ref(source)
