"""What the pull-through cache keeps: its repositories, and manifests whose blobs come later.

A pushed manifest may only name blobs the repository already holds. A cached one is stored as
soon as the upstream sends it, and its layers arrive when clients ask for them (or never, for
the platforms nobody pulls): each manifest is linked to the blobs and platform manifests of it
that are here, and ``links_complete`` adds a link when one more arrives. Until a layer is linked
garbage collection may take it like any unreferenced blob; the next pull fetches it again.
"""

import json

from django.db import IntegrityError, transaction
from django.utils import timezone

from hub.events import event_record
from hub.models import (
    Blob,
    Manifest,
    ManifestBlob,
    ManifestChild,
    Repository,
    RepositoryBlob,
    Tag,
)
from hub.registry import digests, mediatypes
from hub.registry.manifests import parse
from proxy.models import CachedManifest, TagCheck
from proxy.routes import Route


def cached_repository(route: Route, *, create: bool = True) -> Repository | None:
    """The repository that caches ``route`` (made on its first pull when ``create``): private
    exactly when its upstream is for those signed in (hub/permissions.py)."""
    upstream = route.upstream
    repo = (
        Repository.objects.select_related("namespace", "namespace__owner")
        .filter(namespace=upstream.namespace, name=route.remote_name)
        .first()
    )
    if repo is not None or not create:
        return repo
    repo = Repository(
        namespace=upstream.namespace,
        name=route.remote_name,
        is_private=upstream.pull_access != upstream.PullAccess.PUBLIC,
        description=f"Cached from {upstream.name}"[:100],
    )
    repo.search_text = repo.compute_search_text()
    try:
        with transaction.atomic():
            repo.save()
            event_record(
                action="repository.created",
                repository=repo,
                data={"is_private": repo.is_private, "cached_from": upstream.name},
            )
    except IntegrityError:  # a parallel pull made it first
        return cached_repository(route, create=False)
    return repo


def _config_platform(doc: dict) -> tuple[str, str, str]:
    """os/architecture/variant from the image's config, when it is already here (it is fetched
    with the manifest: it is small, and every client reads it first)."""
    config = doc.get("config") or {}
    if config.get("mediaType") not in mediatypes.IMAGE_CONFIG_TYPES:
        return "", "", ""
    from hub.registry.storage import get_store

    store = get_store()
    if not store.exists(config["digest"]) or config.get("size", 0) > 1024 * 1024:
        return "", "", ""
    try:
        data = json.loads(store.read(config["digest"]))
    except (OSError, ValueError, RecursionError):
        return "", "", ""
    if not isinstance(data, dict):
        return "", "", ""
    return tuple(str(data.get(key, ""))[:40] for key in ("os", "architecture", "variant"))


@transaction.atomic
def manifest_save(
    *, repository: Repository, reference: str, content: bytes, media_type: str
) -> Manifest:
    """Store a manifest the upstream sent (verified by the client against its digest) and, for a
    tag, point the tag at it and note when it was checked."""
    parsed = parse(content, media_type)
    doc = parsed.doc
    digest = reference if ":" in reference else digests.of_bytes(content)
    manifest = Manifest.objects.filter(repository=repository, digest=digest).first()
    if manifest is None:
        image = parsed.media_type in mediatypes.IMAGE_TYPES
        os_, arch, variant = _config_platform(doc) if image else ("", "", "")
        if image:
            total = doc["config"]["size"] + sum(layer["size"] for layer in doc["layers"])
        else:
            total = 0
        manifest = Manifest.objects.create(
            repository=repository,
            digest=digest,
            media_type=parsed.media_type,
            content=content,
            size=len(content),
            artifact_type=str(doc.get("artifactType") or "")[:255],
            config_digest=doc["config"]["digest"] if image else "",
            subject_digest=(doc.get("subject") or {}).get("digest", ""),
            os=os_,
            architecture=arch,
            variant=variant,
            total_size=total,
            annotations=doc.get("annotations") if isinstance(doc.get("annotations"), dict) else {},
        )
        _link_present(manifest, doc)
        _link_as_child(manifest)
    CachedManifest.objects.update_or_create(
        manifest=manifest, defaults={"pulled_at": timezone.now()}
    )
    if ":" not in reference:
        now = timezone.now()
        Tag.objects.update_or_create(
            repository=repository,
            name=reference,
            defaults={"manifest": manifest, "updated_at": now},
        )
        tag_checked(repository=repository, tag=reference)
        Repository.objects.filter(pk=repository.pk).update(updated_at=now)
    return manifest


def _link_present(manifest: Manifest, doc: dict) -> None:
    """Link what of the manifest is already here: its blobs, or its platforms' manifests."""
    if manifest.media_type in mediatypes.IMAGE_TYPES:
        wanted = [doc["config"]["digest"]] + [layer["digest"] for layer in doc["layers"]]
        present = Blob.objects.filter(
            digest__in=wanted, repository_links__repository=manifest.repository
        )
        ManifestBlob.objects.bulk_create(
            [ManifestBlob(manifest=manifest, blob=blob) for blob in present],
            ignore_conflicts=True,
        )
        return
    by_digest = {
        m.digest: m
        for m in Manifest.objects.filter(
            repository=manifest.repository, digest__in=[c["digest"] for c in doc["manifests"]]
        )
    }
    _children_create(manifest, doc, by_digest)


def _children_create(parent: Manifest, doc: dict, by_digest: dict[str, Manifest]) -> None:
    rows = []
    for descriptor in doc["manifests"]:
        child = by_digest.get(descriptor["digest"])
        if child is None:
            continue
        platform = descriptor.get("platform") or {}
        rows.append(
            ManifestChild(
                parent=parent,
                child=child,
                os=str(platform.get("os", ""))[:40],
                architecture=str(platform.get("architecture", ""))[:40],
                variant=str(platform.get("variant", ""))[:40],
            )
        )
    ManifestChild.objects.bulk_create(rows, ignore_conflicts=True)
    if rows:
        total = sum(row.child.total_size for row in parent.children.select_related("child"))
        Manifest.objects.filter(pk=parent.pk).update(total_size=total)


def _link_as_child(manifest: Manifest) -> None:
    """A platform's manifest arrived: add it to the repository's indexes that list it."""
    for index in Manifest.objects.filter(
        repository=manifest.repository, media_type__in=mediatypes.INDEX_TYPES
    ).exclude(children__child=manifest):
        doc = json.loads(bytes(index.content))
        if any(c.get("digest") == manifest.digest for c in doc.get("manifests", [])):
            _children_create(index, doc, {manifest.digest: manifest})


def links_complete(*, repository: Repository, digest: str) -> None:
    """A blob arrived in ``repository``: link it to the cached manifests that name it (and fill
    in their platform once their config is here)."""
    blob = Blob.objects.filter(digest=digest).first()
    if blob is None:
        return
    manifests = Manifest.objects.filter(
        repository=repository, media_type__in=mediatypes.IMAGE_TYPES
    ).exclude(blobs=blob)
    for manifest in manifests:
        doc = json.loads(bytes(manifest.content))
        named = [doc["config"]["digest"]] + [layer["digest"] for layer in doc["layers"]]
        if digest not in named:
            continue
        ManifestBlob.objects.get_or_create(manifest=manifest, blob=blob)
        if digest == doc["config"]["digest"] and not manifest.architecture:
            os_, arch, variant = _config_platform(doc)
            Manifest.objects.filter(pk=manifest.pk).update(
                os=os_, architecture=arch, variant=variant
            )


def tag_checked(*, repository: Repository, tag: str) -> None:
    TagCheck.objects.update_or_create(
        repository=repository, name=tag, defaults={"checked_at": timezone.now()}
    )


def manifest_pulled(*, manifest: Manifest) -> None:
    """Mark a cached manifest as pulled now (what eviction goes by), at most once a minute."""
    now = timezone.now()
    CachedManifest.objects.filter(
        manifest=manifest, pulled_at__lt=now - timezone.timedelta(minutes=1)
    ).update(pulled_at=now)


def blob_link(*, repository: Repository, blob: Blob) -> None:
    """A blob already here (cached for another repository, or pushed) serves this one too."""
    RepositoryBlob.objects.get_or_create(repository=repository, blob=blob)
    Blob.objects.filter(pk=blob.pk).update(last_linked_at=timezone.now())
    links_complete(repository=repository, digest=blob.digest)
