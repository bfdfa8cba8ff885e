"""``GET /token`` from cache: registry tokens for anonymous callers, personal access tokens and
robot secrets, as ``hub.registry.views.token`` issues them.

CI fleets and clusters ask for a token before nearly every pull. Verified credentials and the
actions they allow on each repository are kept per process under the epochs (a revoked token,
a removed member, a repository made private: the next request sees it). Passwords, build
credentials, POST, a login with recorded failures and anything unusual go to Django, which also
counts every failure towards the sign-in lockout.
"""

import hashlib
import json
from urllib.parse import parse_qs

from django.conf import settings

from accounts.models import AccessToken
from accounts.ratelimit import failures_key
from hub.registry import access, names, tokens
from hub.registry.errors import NameInvalid
from hub.registry.fastpath import epochs, loaders
from hub.registry.fastpath.cache import Cache
from hub.registry.views.token import granted
from orgs.models import Robot

_credentials = Cache(max_entries=10_000)
_actions = Cache(max_entries=50_000)
NO_STORE = (b"cache-control", b"no-store")


class Decline(Exception):
    """Django answers this one."""


def clear() -> None:
    _credentials.clear()
    _actions.clear()


def _basic(headers: dict[bytes, bytes]) -> tuple[str, str] | None:
    header = headers.get(b"authorization", b"")
    if not header:
        return None
    try:
        credentials = access.basic_credentials(header.decode("latin-1"))
    except Exception:
        raise Decline from None  # malformed: Django says so
    if credentials is None or not credentials[1].startswith((AccessToken.PREFIX, Robot.PREFIX)):
        raise Decline  # a bearer token, a password or a build's credential
    return credentials


async def answer(scope, headers: dict[bytes, bytes], in_db_thread, common_headers):
    params = parse_qs(scope["query_string"].decode("latin-1"), keep_blank_values=True)
    if set(params) - {"service", "scope", "account", "client_id", "offline_token"}:
        raise Decline
    credentials = _basic(headers)
    account = params.get("account", [""])[-1]
    if account and (credentials is None or account != credentials[0]):
        raise Decline
    scopes = tokens.parse_scopes(params.get("scope", []))
    wanted = []
    for item in scopes:
        if item.type == "repository":
            try:
                names.split(item.name)
            except NameInvalid:
                continue
            wanted.append(item.name)
    wanted = list(dict.fromkeys(wanted))
    keys = [epochs.access_key(), *(epochs.repository_key(n) for n in wanted)]
    address = (scope.get("client") or ("",))[0]
    if credentials is not None:
        keys.append(failures_key(credentials[0], address))
    values = await epochs.current_keys(keys)
    if credentials is not None and values[-1] != epochs.UNCHANGED:
        raise Decline  # failures on record (the key exists): Django checks the lockout, clears them
    access_epoch, repo_epochs = (
        values[0],
        dict(zip(wanted, values[1 : len(wanted) + 1], strict=True)),
    )

    who = None
    identity = ""
    if credentials is not None:
        identity = hashlib.sha256("\0".join(credentials).encode()).hexdigest()
        who = _credentials.get((access_epoch, identity))
        if who is None:
            who = await in_db_thread(loaders.credential, *credentials)
            if who is None:
                raise Decline
            _credentials.put((access_epoch, identity), who, ttl=who.ttl)
    actor = who.actor if who is not None else None

    allowed = {}
    for name in wanted:
        key = (access_epoch, repo_epochs[name], identity, name)
        actions = _actions.get(key)
        if actions is None:
            actions = await in_db_thread(loaders.repository_actions, actor, name)
            ttl = who.ttl if who is not None else float(settings.WHARF_REGISTRY_CACHE_SECONDS)
            _actions.put(key, actions, ttl=ttl)
        allowed[name] = actions

    body = tokens.issue(
        subject=who.subject if who is not None else "",
        access=granted(scopes, lambda name: allowed[name] if name in allowed else _invalid()),
        pat=who.pat if who is not None else "",
        robot=who.robot if who is not None else 0,
    )
    content = json.dumps(body).encode()
    response_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(content)).encode()),
        NO_STORE,
        *common_headers,
    ]

    async def send_answer(send):
        await send({"type": "http.response.start", "status": 200, "headers": response_headers})
        await send({"type": "http.response.body", "body": content})

    return send_answer


def _invalid():
    raise NameInvalid()
