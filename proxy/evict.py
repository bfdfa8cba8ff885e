"""Eviction: cached images nobody pulled for ``WHARF_PROXY_RETENTION_DAYS`` leave the cache.

Their tags and manifests go (platform manifests with the last index that lists them); the blobs
they held are then unreferenced, and the same garbage collection run frees them. The next pull
fetches the image again.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from hub.models import Manifest, ManifestChild, Namespace, Tag

CHUNK = 500  # ids per IN (…): well under SQLite's limit on a statement's parameters


def evict_unpulled(*, days: int, dry_run: bool = False) -> int:
    """Delete cached manifests not pulled for ``days`` days (0: none); how many."""
    if days <= 0:
        return 0
    cutoff = timezone.now() - timedelta(days=days)
    stale = Manifest.objects.filter(
        repository__namespace__kind=Namespace.Kind.PROXY, proxy_cache__pulled_at__lt=cutoff
    )
    evicted = _unlisted(stale)
    if dry_run or not evicted:
        return len(evicted)
    with transaction.atomic():
        # Indexes' links before any manifest: a child is protected while an index lists it.
        for model, field in ((Tag, "manifest_id"), (ManifestChild, "parent_id"), (Manifest, "pk")):
            for chunk in _chunks(evicted):
                model.objects.filter(**{f"{field}__in": chunk}).delete()
    return len(evicted)


def _unlisted(stale) -> list[int]:
    """The stale manifests no kept index lists. A platform manifest pulled through a recently
    pulled index stays with it, and so do the children of a stale index that stays because a
    kept index lists it in turn (an index may list indexes): until nothing evicted is listed by
    anything kept."""
    evicted = set(stale.values_list("pk", flat=True))
    links = list(ManifestChild.objects.filter(child__in=stale).values_list("parent_id", "child_id"))
    while True:
        kept = {child for parent, child in links if child in evicted and parent not in evicted}
        if not kept:
            return sorted(evicted)
        evicted -= kept


def _chunks(pks: list[int], size: int = CHUNK) -> list[list[int]]:
    return [pks[i : i + size] for i in range(0, len(pks), size)]
