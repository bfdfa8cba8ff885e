"""Build sources are untrusted input handed to git and the builder: validate every piece.

Messages say what is wrong and what is allowed; each raises ``django.core.exceptions
.ValidationError`` so forms and the API show it next to the field.
"""

import ipaddress
import posixpath
import re
import socket
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError

REMOTE_SCHEMES = {"https", "http", "ssh", "git"}
SCP_LIKE = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[A-Za-z0-9._/~-]+$")  # git@host:org/repo
REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|\.lock$|/$|\.$")
BUILD_ARG_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TAG_TEMPLATE_PART = re.compile(r"\{(sourceref|short_sha|\\[0-9])\}")
TAG_LITERAL = re.compile(r"^[A-Za-z0-9_.-]*$")
SECRET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
# Cloud metadata services that are not link-local (AWS's IPv6 one, Alibaba's): never a source.
METADATA_ADDRESSES = {
    ipaddress.ip_address("fd00:ec2::254"),
    ipaddress.ip_address("100.100.100.200"),
}


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
        check_host(source_host(url), "The git host")
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
    check_host(source_host(url), "The git host")
    return url


def split_credentials(url: str) -> tuple[str, str, str]:
    """``(url, username, password)``: a password written into an http(s) or ssh URL is taken out.

    Stored and shown URLs never hold a password; builds hand it to git through a credential
    file instead (builds.pipeline). For http(s) the user name goes too (it travels with the
    password); an ssh URL keeps its user, which is who ssh logs in as.
    """
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url, "", ""
    if password is None or parts.scheme.lower() not in ("http", "https", "ssh"):
        return url, "", ""
    username = unquote(parts.username or "")
    host = parts.netloc.rpartition("@")[2]
    if parts.scheme.lower() == "ssh":
        netloc = f"{quote(username, safe='')}@{host}" if username else host
    else:
        netloc = host
    return urlunsplit(parts._replace(netloc=netloc)), username, unquote(password)


def source_host(url: str) -> str:
    """The host a git URL points at ("" for local paths and file:// URLs)."""
    if SCP_LIKE.match(url):
        return url.split("@", 1)[1].split(":", 1)[0]
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def address_problem(address: str, *, allow_private: bool) -> str:
    """Why a build may not reach ``address`` (an IP), or "" when it may.

    Link-local and metadata addresses (169.254.169.254: the cloud's credentials for this host)
    are never reachable; loopback and private ranges (this host's own services, the internal
    network) only when the hub says so (WHARF_BUILD_ALLOW_PRIVATE_SOURCES).
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_link_local or ip in METADATA_ADDRESSES:
        return "a link-local or cloud metadata address"
    if ip.is_unspecified or ip.is_multicast or (ip.is_reserved and not ip.is_loopback):
        return "not an address a build may reach"
    if not ip.is_global and not allow_private:
        return "a loopback or private address (set WHARF_BUILD_ALLOW_PRIVATE_SOURCES=1 to allow)"
    return ""


def resolve(host: str) -> list[str]:
    """The IP addresses ``host`` resolves to (itself for a literal); [] when it does not."""
    host = host.strip("[]")
    try:
        return [ipaddress.ip_address(host).compressed]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return list(dict.fromkeys(info[4][0] for info in infos))


def check_host(host: str, what: str) -> list[str]:
    """The addresses of ``host`` once each is one a build may reach; ValidationError otherwise.

    A name that does not resolve passes: git (or the registry client) then says so itself.
    """
    addresses = resolve(host)
    for address in addresses:
        problem = address_problem(address, allow_private=settings.WHARF_BUILD_ALLOW_PRIVATE_SOURCES)
        if problem:
            shown = host if host.strip("[]") == address else f"{host} ({address})"
            raise ValidationError(f"{what} {shown} is {problem}.", code="address")
    return addresses


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


def validate_secret_name(name: str) -> str:
    name = (name or "").strip()
    if not SECRET_NAME.match(name):
        raise ValidationError(
            "A secret's name is letters, digits, _ . and - (not first a digit, at most 64); "
            "the Dockerfile reads it with RUN --mount=type=secret,id=<name>.",
            code="invalid",
        )
    return name


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
