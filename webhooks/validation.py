"""What a webhook may be: its events, its URL, and the addresses Wharf will send to.

The URL is checked twice. When the webhook is saved: http(s), a host, no credentials, and no
literal address Wharf would refuse. When each delivery is sent (``webhooks.delivery``): the
host's addresses as resolved then, every one of which must be allowed — a name may point
somewhere else tomorrow, and ``localhost`` is a name.

Messages say what is wrong and what is allowed; each raises ``ValidationError`` so forms and
the API show it next to the field.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from hub.events import WEBHOOK_ACTIONS
from webhooks.conf import setting

# Docker Hub-ish names some receivers' docs use, and groups, for the same actions.
EVENT_ALIASES = {
    "tag.push": ("push",),
    "tag.delete": ("delete",),
    "build.finished": ("build.success", "build.failed", "build.cancelled"),
    "build": ("build.queued", "build.success", "build.failed", "build.cancelled"),
    "repository": ("repository.created", "repository.deleted", "repository.visibility"),
    "*": WEBHOOK_ACTIONS,
}
URL_MAX_LENGTH = 500
# Cloud metadata services that are not link-local (AWS's IPv6 one, Alibaba's).
METADATA_ADDRESSES = {
    ipaddress.ip_address("fd00:ec2::254"),
    ipaddress.ip_address("100.100.100.200"),
}
NAT64 = ipaddress.ip_network("64:ff9b::/96")


def normalize_events(events) -> list[str]:
    """The actions a webhook sends, in WEBHOOK_ACTIONS' order, aliases expanded."""
    if isinstance(events, str):
        events = [part for part in events.replace(",", " ").split() if part]
    if not isinstance(events, list | tuple) or not events:
        raise ValidationError(
            f"Choose at least one event: {', '.join(WEBHOOK_ACTIONS)}.", code="required"
        )
    chosen = set()
    for event in events:
        name = event.strip().lower() if isinstance(event, str) else event
        if name in EVENT_ALIASES:
            chosen.update(EVENT_ALIASES[name])
        elif name in WEBHOOK_ACTIONS:
            chosen.add(name)
        else:
            raise ValidationError(
                f"“{event}” is not an event a webhook can send; use {', '.join(WEBHOOK_ACTIONS)}.",
                code="invalid",
            )
    return [action for action in WEBHOOK_ACTIONS if action in chosen]


def validate_url(url: str) -> str:
    """The URL, stripped, if Wharf may save it as a webhook's."""
    url = (url or "").strip()
    if not url:
        raise ValidationError("Give the URL to send events to.", code="required")
    if len(url) > URL_MAX_LENGTH:
        raise ValidationError(f"Keep the URL to {URL_MAX_LENGTH} characters.", code="max_length")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise ValidationError("A webhook URL cannot contain spaces.", code="invalid")
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError:
        raise ValidationError(f"“{url}” is not a URL.", code="invalid") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError(
            "A webhook URL must start with https:// or http:// "
            f"(not {parts.scheme + ':' if parts.scheme else 'a bare name'}).",
            code="scheme",
        )
    if not host:
        raise ValidationError("The webhook URL needs a host name.", code="invalid")
    if parts.username is not None or parts.password is not None:
        raise ValidationError(
            "Put no user name or password in the URL: set the secret, and check the "
            "X-Wharf-Signature-256 header of each delivery.",
            code="credentials",
        )
    if port == 0:
        raise ValidationError("The webhook URL's port cannot be 0.", code="invalid")
    literal = _literal(host)
    if literal is not None:
        problem = address_problem(literal)
        if problem:
            raise ValidationError(f"{host} is {problem}.", code="address")
    return url


def _literal(host: str):
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _embedded_ipv4(ip) -> list:
    """IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo, NAT64): each reaches the
    IPv4 address it names, so each is checked too."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    found = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
    if ip in NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [address for address in found if address is not None]


def address_problem(ip, *, allow_private: bool | None = None) -> str:
    """Why Wharf will not deliver to ``ip`` (an address or its text), or "" when it may."""
    if isinstance(ip, str):
        ip = ipaddress.ip_address(ip.split("%", 1)[0])
    if allow_private is None:
        allow_private = bool(setting("WHARF_WEBHOOK_ALLOW_PRIVATE"))
    # The IPv4 address an IPv6 one carries first: its problem is the one to name.
    for candidate in [*_embedded_ipv4(ip), ip]:
        if candidate.is_unspecified or candidate.is_multicast:
            return "not an address a webhook can be sent to"
        if candidate.is_link_local or candidate in METADATA_ADDRESSES:
            return "a link-local or cloud metadata address, which webhooks are never sent to"
        if allow_private:
            continue
        if candidate.is_loopback:
            return (
                "a loopback address; webhooks are not sent to this host "
                "(WHARF_WEBHOOK_ALLOW_PRIVATE=1 allows it)"
            )
        if not candidate.is_global or candidate.is_reserved:
            return (
                "a private or reserved address; webhooks are not sent into the internal "
                "network (WHARF_WEBHOOK_ALLOW_PRIVATE=1 allows it)"
            )
    return ""


class Refused(Exception):
    """The URL's host resolves to nothing, or to an address Wharf does not send to."""


def resolve_allowed(host: str, port: int) -> list[str]:
    """The addresses to connect to for ``host``: all it resolves to, each one allowed.

    One refused address refuses the lot: a name answering with a public and a private address
    must not get the private one on a retry.
    """
    literal = _literal(host)
    if literal is not None:
        addresses = [literal.compressed]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise Refused(f"{host} does not resolve ({exc}).") from None
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        if not addresses:
            raise Refused(f"{host} does not resolve.")
    for address in addresses:
        problem = address_problem(address)
        if problem:
            shown = host if literal is not None else f"{host} ({address})"
            raise Refused(f"Not sent: {shown} is {problem}.")
    return addresses
