"""Registry bearer tokens: scope parsing and the JWTs Wharf signs and verifies itself.

Token auth as Docker Hub does it: ``/v2/`` challenges with ``WWW-Authenticate: Bearer
realm=…/token``; the token endpoint trades credentials for a short-lived JWT whose ``access``
claim lists exactly the (repository, actions) it grants.
"""

import contextvars
import hashlib
import re
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import jwt
from django.conf import settings

ALGORITHM = "HS256"
SCOPE_RE = re.compile(r"^(?P<type>[a-z0-9]+)(?:\([a-z0-9]+\))?:(?P<name>.+):(?P<actions>[a-z*,]*)$")
ALL_ACTIONS = ("pull", "push", "delete")


@dataclass(frozen=True)
class Scope:
    type: str
    name: str
    actions: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.type}:{self.name}:{','.join(self.actions)}"


def parse_scopes(values: list[str]) -> list[Scope]:
    """Scopes from repeated ``scope`` parameters, each possibly holding several, space-separated.

    Unparseable scopes are dropped: the token endpoint grants the intersection of what was asked
    and what is allowed, and asking for nonsense is asking for nothing.
    """
    scopes = []
    for value in values:
        for item in value.split():
            # The name may itself hold "host:port", so actions come off the right.
            match = SCOPE_RE.match(item)
            if not match:
                continue
            actions = tuple(a for a in match["actions"].split(",") if a)
            if "*" in actions:
                actions = ("*",)
            scopes.append(Scope(match["type"], match["name"], actions))
    return scopes


def service_name() -> str:
    """What clients pass as ``service`` and what tokens carry as ``aud``: the registry's host."""
    return urlsplit(settings.WHARF_URL).netloc


# The address the current request came in on (set by the registry views). A client inside a
# private network (a build worker reaching the web service as http://web:8000) must be sent to
# a token endpoint it can reach; tokens themselves are bound to the service name, not to this.
_request_base: contextvars.ContextVar[str] = contextvars.ContextVar("wharf_base", default="")


def set_request_base(request) -> None:
    _request_base.set(f"{request.scheme}://{request.get_host()}")


def set_base(scheme: str, host: str) -> None:
    """``set_request_base`` for a request Django never saw (the registry's fast path)."""
    _request_base.set(f"{scheme}://{host}")


def realm() -> str:
    return f"{_request_base.get() or settings.WHARF_URL}/token"


def _key() -> bytes:
    # A key of its own, derived from SECRET_KEY, so registry tokens and sessions never share one.
    return hashlib.sha256(b"wharf-registry-token:" + settings.SECRET_KEY.encode()).digest()


@dataclass
class Grant:
    """What a verified token allows: its subject and the actions per (type, name)."""

    subject: str = ""
    access: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    pat: str = ""  # uuid of the access token it was issued for, checked again on every use
    build: str = ""  # "<build id>:<credential id>" it was issued for, checked again on every use
    robot: int = 0  # the robot's id when issued to one: a new robot of the same name is not it
    expires: int = 0  # the token's exp claim (Unix time)

    def allows(self, type_: str, name: str, action: str) -> bool:
        actions = self.access.get((type_, name), set())
        return action in actions or "*" in actions


def issue(
    *, subject: str, access: list[dict], pat: str = "", build: str = "", robot: int = 0
) -> dict:
    now = int(time.time())
    ttl = settings.WHARF_REGISTRY_TOKEN_TTL
    claims = {
        "iss": service_name(),
        "sub": subject,
        "aud": service_name(),
        "exp": now + ttl,
        "nbf": now - 5,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "access": access,
    }
    if pat:
        claims["pat"] = pat
    if build:
        claims["bld"] = build
    if robot:
        claims["rbt"] = robot
    token = jwt.encode(claims, _key(), algorithm=ALGORITHM)
    issued = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    return {"token": token, "access_token": token, "expires_in": ttl, "issued_at": issued}


LEEWAY = 5  # seconds of clock skew allowed on exp and nbf


def verify(token: str) -> Grant:
    """The grant of a valid token; raises ``jwt.InvalidTokenError`` otherwise."""
    claims = jwt.decode(
        token,
        _key(),
        algorithms=[ALGORITHM],
        audience=service_name(),
        issuer=service_name(),
        options={"require": ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "access"]},
        leeway=LEEWAY,
    )
    access: dict[tuple[str, str], set[str]] = {}
    for entry in claims["access"]:
        key = (str(entry["type"]), str(entry["name"]))
        access.setdefault(key, set()).update(str(a) for a in entry["actions"])
    return Grant(
        subject=claims["sub"],
        access=access,
        pat=claims.get("pat", ""),
        build=claims.get("bld", ""),
        robot=int(claims.get("rbt") or 0),
        expires=int(claims["exp"]),
    )


# --- build credentials: what a build worker logs in with (builds/credentials.py decides) ---

BUILD_USERNAME = "wharf-build"  # not a valid account name, so it never shadows a user
BUILD_AUDIENCE = "wharf-build"


@dataclass(frozen=True)
class BuildClaims:
    build_id: int
    credential_id: str  # the jti; the build row names the one that works now
    repository: str  # ns/name the build pushes
    phase: str  # "pull" (base images) or "push" (the result)


def sign_build_credential(
    *, build_id: int, credential_id: str, repository: str, phase: str, ttl: int
) -> str:
    """A password for ``wharf-build``, standing for one phase of one build."""
    now = int(time.time())
    claims = {
        "aud": BUILD_AUDIENCE,
        "sub": f"build:{build_id}",
        "jti": credential_id,
        "repo": repository,
        "phase": phase,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, _key(), algorithm=ALGORITHM)


def read_build_credential(secret: str) -> BuildClaims | None:
    """The claims of a well-signed, unexpired build credential (not yet checked for
    revocation: builds.credentials does that), or None."""
    try:
        claims = jwt.decode(
            secret,
            _key(),
            algorithms=[ALGORITHM],
            audience=BUILD_AUDIENCE,
            options={"require": ["sub", "jti", "repo", "phase", "exp"]},
        )
        build_id = int(str(claims["sub"]).removeprefix("build:"))
    except (jwt.InvalidTokenError, ValueError):
        return None
    return BuildClaims(build_id, str(claims["jti"]), str(claims["repo"]), str(claims["phase"]))
