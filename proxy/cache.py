"""Manifests through the pull-through cache: by digest cached for ever, by tag re-checked.

A tag is served from the cache while it was confirmed upstream less than ``WHARF_PROXY_TAG_TTL``
seconds ago. After that a HEAD asks the upstream for the tag's digest (a HEAD is not a pull to
Docker Hub's rate limit): the same digest renews the tag; another one is fetched and becomes the
tag. When the upstream cannot answer (down, 5xx, 429) a cached tag is served all the same
(stale-if-error), with a warning in the log. One fetch per tag at a time, across processes.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from hub.models import Manifest, Repository, Tag
from hub.redisconn import get_redis, key
from hub.registry import mediatypes
from hub.registry.errors import ManifestUnknown, RegistryError
from hub.registry.manifests import is_digest
from proxy import errors
from proxy.client import UpstreamError, UpstreamUnavailable, client_for
from proxy.models import TagCheck
from proxy.routes import Route
from proxy.store import cached_repository, manifest_pulled, manifest_save, tag_checked

logger = logging.getLogger(__name__)

# What Wharf asks the upstream for: every manifest type it stores, indexes first, so a cached
# tag is the whole multi-platform image whichever client pulled it first.
ACCEPT = [
    mediatypes.OCI_INDEX,
    mediatypes.DOCKER_LIST,
    mediatypes.OCI_MANIFEST,
    mediatypes.DOCKER_MANIFEST,
]
FETCH_LOCK_SECONDS = 60


def _unknown(route: Route, reference: str) -> ManifestUnknown:
    return ManifestUnknown(
        f"manifest unknown upstream: {route.upstream.name} has no {route.remote_name}:{reference}",
        detail={"reference": reference},
    )


def _fetch(route: Route, reference: str):
    try:
        body = client_for(route.upstream).manifest_get(route.remote_name, reference, ACCEPT)
    except UpstreamError as exc:
        raise errors.as_registry_error(exc) from None
    if body is None:
        raise _unknown(route, reference)
    return body


def _fresh(repository: Repository, tag: str) -> bool:
    ttl = timedelta(seconds=settings.WHARF_PROXY_TAG_TTL)
    return TagCheck.objects.filter(
        repository=repository, name=tag, checked_at__gt=timezone.now() - ttl
    ).exists()


def _cached_tag(repository: Repository | None, tag: str) -> Manifest | None:
    if repository is None:
        return None
    found = Tag.objects.select_related("manifest").filter(repository=repository, name=tag).first()
    return found.manifest if found else None


def manifest_get(*, route: Route, reference: str) -> tuple[Repository, Manifest]:
    """The cached repository and the manifest ``reference`` names, fetched when needed."""
    repository = cached_repository(route, create=False)
    if is_digest(reference):
        if repository is not None:
            found = Manifest.objects.filter(repository=repository, digest=reference).first()
            if found is not None:
                manifest_pulled(manifest=found)
                return repository, found
        return _keep(route, repository, reference, _fetch(route, reference))

    cached = _cached_tag(repository, reference)
    if cached is not None:
        if _fresh(repository, reference):
            manifest_pulled(manifest=cached)
            return repository, cached
        try:
            head = client_for(route.upstream).manifest_head(route.remote_name, reference, ACCEPT)
        except UpstreamUnavailable as exc:
            return repository, _stale(route, repository, reference, cached, exc)
        except UpstreamError as exc:
            raise errors.as_registry_error(exc) from None
        if head is None:
            raise _unknown(route, reference)
        if head.digest == cached.digest:
            tag_checked(repository=repository, tag=reference)
            manifest_pulled(manifest=cached)
            return repository, cached

    lock = get_redis().lock(
        key("proxy", "manifest", route.local_name, reference),
        timeout=FETCH_LOCK_SECONDS,
        blocking_timeout=FETCH_LOCK_SECONDS,
    )
    with lock:
        repository = repository or cached_repository(route, create=False)
        if repository is not None and _fresh(repository, reference):
            found = _cached_tag(repository, reference)  # another request fetched it meanwhile
            if found is not None:
                return repository, found
        try:
            body = _fetch(route, reference)
        except RegistryError as exc:
            if cached is not None and exc.status in (429, 500, 502, 503, 504):
                return repository, _stale(route, repository, reference, cached, exc)
            raise
        return _keep(route, repository, reference, body)


def _keep(route: Route, repository: Repository | None, reference: str, body):
    """Store what the upstream sent (making the cached repository on its first pull)."""
    repository = repository or cached_repository(route)
    return repository, manifest_save(
        repository=repository, reference=reference, content=body.content, media_type=body.media_type
    )


def _stale(route: Route, repository: Repository, tag: str, cached: Manifest, exc) -> Manifest:
    logger.warning(
        "proxy: %s unavailable (%s); serving %s:%s from cache as it was (%s)",
        route.upstream.name,
        getattr(exc, "message", exc),
        repository.display_name,
        tag,
        cached.digest,
    )
    manifest_pulled(manifest=cached)
    return cached
