"""Content digests: ``algorithm:hex``, sha256 required and sha512 accepted (OCI image spec)."""

import hashlib
import re

from hub.registry.errors import DigestInvalid

ALGORITHMS = {"sha256": 64, "sha512": 128}
DIGEST_RE = re.compile(r"^(sha256|sha512):([a-f0-9]+)$")
# What the URL patterns accept; anything digest-shaped reaches parse() for a precise error.
URL_PATTERN = r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+"


def parse(digest: str) -> tuple[str, str]:
    """(algorithm, hex) of a valid digest, else DIGEST_INVALID naming the problem."""
    match = DIGEST_RE.match(digest or "")
    if not match:
        raise DigestInvalid(
            "invalid digest: expected sha256:<64 hex> or sha512:<128 hex>",
            detail={"digest": digest},
        )
    algorithm, hexdigest = match.groups()
    if len(hexdigest) != ALGORITHMS[algorithm]:
        raise DigestInvalid(f"invalid {algorithm} digest length", detail={"digest": digest})
    return algorithm, hexdigest


def hasher(digest: str):
    """A fresh hash object of the digest's algorithm."""
    algorithm, _ = parse(digest)
    return hashlib.new(algorithm)


def of_bytes(data: bytes, algorithm: str = "sha256") -> str:
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"
