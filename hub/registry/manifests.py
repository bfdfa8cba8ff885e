"""Manifests and tags: validate what clients push, store the exact bytes, resolve references.

Accepted: Docker schema 2 manifests and manifest lists, OCI image manifests and indexes, and OCI
artifacts (``artifactType``, ``subject``). Every blob a manifest names must already be in the
repository, and every manifest an index names too; otherwise the push is refused.
"""

import json
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.utils import timezone

from hub.events import event_record
from hub.models import Blob, Manifest, ManifestBlob, ManifestChild, Repository, Tag
from hub.registry import digests, mediatypes
from hub.registry.errors import (
    Denied,
    DigestInvalid,
    ManifestBlobUnknown,
    ManifestInvalid,
    ManifestUnknown,
)
from hub.registry.names import TAG_RE
from hub.registry.storage import get_store

# Docker's registry (distribution) takes manifests of up to 4 MiB, and clients expect no more.
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_CONFIG_BYTES = 8 * 1024 * 1024
# Real manifests nest five levels deep at most. A fixed cap, not json's own recursion limit,
# which hits sooner the deeper the caller's stack is: what a push took, every page must parse.
MAX_NESTING = 64


def manifest_too_large() -> ManifestInvalid:
    # MANIFEST_INVALID, as distribution answers a manifest past its cap.
    return ManifestInvalid(
        f"manifest too large: Wharf accepts manifests of up to {MAX_MANIFEST_BYTES >> 20} MiB",
        detail={"limit": MAX_MANIFEST_BYTES},
    )


def _too_deep() -> ManifestInvalid:
    return ManifestInvalid(
        f"manifest nests arrays and objects more than {MAX_NESTING} levels deep",
        detail={"limit": MAX_NESTING},
    )


def _nests_too_deep(doc) -> bool:
    """True when arrays and objects in ``doc`` nest more than MAX_NESTING levels."""
    level = [doc] if isinstance(doc, (dict, list)) else []
    for _ in range(MAX_NESTING):
        level = [
            child
            for node in level
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, (dict, list))
        ]
        if not level:
            return False
    return True


def is_digest(reference: str) -> bool:
    return ":" in reference


@dataclass
class Parsed:
    media_type: str
    doc: dict


def _descriptor(value, where: str) -> dict:
    if not isinstance(value, dict):
        raise ManifestInvalid(f"{where} must be a descriptor object")
    digest = value.get("digest")
    size = value.get("size")
    if not isinstance(digest, str) or not isinstance(size, int) or size < 0:
        raise ManifestInvalid(f"{where} needs a digest and a non-negative size")
    try:
        digests.parse(digest)
    except DigestInvalid:
        raise ManifestInvalid(f"{where} has an invalid digest", detail={"digest": digest}) from None
    return value


def parse(content: bytes, content_type: str) -> Parsed:
    if len(content) > MAX_MANIFEST_BYTES:
        raise manifest_too_large()
    try:
        doc = json.loads(content)
    except RecursionError:  # deeper than json can go at all
        raise _too_deep() from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ManifestInvalid(f"manifest is not valid JSON: {exc}") from None
    if _nests_too_deep(doc):
        raise _too_deep()
    if not isinstance(doc, dict):
        raise ManifestInvalid("manifest must be a JSON object")
    declared = doc.get("mediaType")
    header = content_type.split(";")[0].strip().lower()
    if header in ("", "application/json", "application/octet-stream"):
        header = ""
    if declared and header and declared != header:
        raise ManifestInvalid(
            f"Content-Type {header} does not match the manifest's mediaType {declared}"
        )
    media_type = declared or header
    if not media_type:
        # OCI allows mediaType to be absent; the shape tells which it is.
        media_type = mediatypes.OCI_INDEX if "manifests" in doc else mediatypes.OCI_MANIFEST
    if media_type not in mediatypes.MANIFEST_TYPES:
        raise ManifestInvalid(f"unsupported manifest media type {media_type!r}")
    if doc.get("schemaVersion") != 2:
        raise ManifestInvalid("schemaVersion must be 2")
    if media_type in mediatypes.IMAGE_TYPES:
        _descriptor(doc.get("config"), "config")
        layers = doc.get("layers")
        if not isinstance(layers, list):
            raise ManifestInvalid("layers must be a list")
        for i, layer in enumerate(layers):
            _descriptor(layer, f"layers[{i}]")
    else:
        children = doc.get("manifests")
        if not isinstance(children, list):
            raise ManifestInvalid("manifests must be a list")
        for i, child in enumerate(children):
            _descriptor(child, f"manifests[{i}]")
    if "subject" in doc:
        _descriptor(doc["subject"], "subject")
    return Parsed(media_type, doc)


def _platform_from_config(config: dict, blob: Blob) -> tuple[str, str, str]:
    if config.get("mediaType") not in mediatypes.IMAGE_CONFIG_TYPES or blob.size > MAX_CONFIG_BYTES:
        return "", "", ""
    try:
        data = json.loads(get_store().read(blob.digest))
    except (OSError, ValueError, RecursionError):  # the pusher's own blob: anything goes
        return "", "", ""
    if not isinstance(data, dict):
        return "", "", ""
    return (
        str(data.get("os", ""))[:40],
        str(data.get("architecture", ""))[:40],
        str(data.get("variant", ""))[:40],
    )


@transaction.atomic
def manifest_put(*, repository: Repository, reference: str, content: bytes, content_type: str):
    """Store a manifest (and point the tag at it); returns the Manifest."""
    parsed = parse(content, content_type)
    if is_digest(reference):
        algorithm, _ = digests.parse(reference)
        digest = digests.of_bytes(content, algorithm)
        if digest != reference:
            raise DigestInvalid(detail={"expected": reference, "actual": digest})
        tag = None
    else:
        if not TAG_RE.match(reference):
            raise ManifestInvalid(
                "invalid tag: up to 128 letters, digits, _ . and -, not starting with . or -",
                detail={"tag": reference},
            )
        digest = digests.of_bytes(content)
        tag = reference

    doc = parsed.doc
    blob_rows: list[Blob] = []
    child_rows: list[tuple[Manifest, dict]] = []
    os_ = arch = variant = ""
    total = 0
    measure = False
    if parsed.media_type in mediatypes.IMAGE_TYPES:
        wanted = [doc["config"]] + [
            layer
            for layer in doc["layers"]
            if not layer.get("urls")  # foreign layers live elsewhere
        ]
        # Locked: garbage collection deletes blobs under the same lock, so it either sees the
        # reference this push makes, or deleted the blob first and the push is told so.
        linked = Blob.objects.filter(
            digest__in=[d["digest"] for d in wanted], repository_links__repository=repository
        ).values_list("pk", flat=True)
        found = {b.digest: b for b in Blob.objects.select_for_update().filter(pk__in=list(linked))}
        for descriptor in wanted:
            blob = found.get(descriptor["digest"])
            if blob is None:
                raise ManifestBlobUnknown(detail={"digest": descriptor["digest"]})
            if blob.size != descriptor["size"]:
                raise ManifestInvalid(
                    f"size of {descriptor['digest']} is {blob.size}, not {descriptor['size']}"
                )
        blob_rows = list(found.values())
        config_blob = found[doc["config"]["digest"]]
        os_, arch, variant = _platform_from_config(doc["config"], config_blob)
        total = doc["config"]["size"] + sum(layer["size"] for layer in doc["layers"])
        config_digest = doc["config"]["digest"]
        config_type = doc["config"].get("mediaType", "")
        artifact_type = doc.get("artifactType") or (
            config_type if config_type not in mediatypes.IMAGE_CONFIG_TYPES else ""
        )
        # An image with a layer whose unpacked size is not known yet (hub/tasks.py).
        measure = config_type in mediatypes.IMAGE_CONFIG_TYPES and any(
            found[layer["digest"]].unpacked_size is None
            for layer in doc["layers"]
            if layer["digest"] in found
        )
    else:
        known = {
            m.digest: m
            for m in Manifest.objects.filter(
                repository=repository, digest__in=[c["digest"] for c in doc["manifests"]]
            )
        }
        for descriptor in doc["manifests"]:
            child = known.get(descriptor["digest"])
            if child is None:
                raise ManifestBlobUnknown(
                    "index references a manifest unknown to the repository",
                    detail={"digest": descriptor["digest"]},
                )
            child_rows.append((child, descriptor.get("platform") or {}))
        total = sum(child.total_size for child, _ in child_rows)
        config_digest = ""
        artifact_type = doc.get("artifactType", "")

    subject = doc.get("subject", {}).get("digest", "")
    manifest, created = Manifest.objects.get_or_create(
        repository=repository,
        digest=digest,
        defaults={
            "media_type": parsed.media_type,
            "content": content,
            "size": len(content),
            "artifact_type": str(artifact_type)[:255],
            "config_digest": config_digest,
            "subject_digest": subject,
            "os": os_,
            "architecture": arch,
            "variant": variant,
            "total_size": total,
            "annotations": doc.get("annotations")
            if isinstance(doc.get("annotations"), dict)
            else {},
        },
    )
    if created:
        ManifestBlob.objects.bulk_create(
            [ManifestBlob(manifest=manifest, blob=b) for b in blob_rows]
        )
        ManifestChild.objects.bulk_create(
            [
                ManifestChild(
                    parent=manifest,
                    child=child,
                    os=str(platform.get("os", ""))[:40],
                    architecture=str(platform.get("architecture", ""))[:40],
                    variant=str(platform.get("variant", ""))[:40],
                )
                for child, platform in child_rows
            ],
            ignore_conflicts=True,
        )
    now = timezone.now()
    if tag is not None:
        Tag.objects.update_or_create(
            repository=repository, name=tag, defaults={"manifest": manifest, "updated_at": now}
        )
        if child_rows:
            platforms = [_platform_name(p) for _, p in child_rows]
        else:
            platforms = [_platform_name({"os": os_, "architecture": arch, "variant": variant})]
        event_record(
            action="push",
            repository=repository,
            tag=tag,
            digest=digest,
            data={"media_type": parsed.media_type, "platforms": [p for p in platforms if p]},
        )
    Repository.objects.filter(pk=repository.pk).update(updated_at=now)
    if measure:
        from hub.tasks import layers_measure_queue

        # After the commit, so the worker finds the manifest; never fails the push.
        transaction.on_commit(partial(layers_measure_queue, manifest.pk))
    return manifest


def _platform_name(platform: dict) -> str:
    parts = (platform.get("os"), platform.get("architecture"), platform.get("variant"))
    return "/".join(str(p) for p in parts if p)


def manifest_get(*, repository: Repository, reference: str) -> Manifest:
    if is_digest(reference):
        digests.parse(reference)
        manifest = Manifest.objects.filter(repository=repository, digest=reference).first()
    else:
        tag = (
            Tag.objects.select_related("manifest")
            .filter(repository=repository, name=reference)
            .first()
        )
        manifest = tag.manifest if tag else None
    if manifest is None:
        raise ManifestUnknown(detail={"reference": reference})
    return manifest


@transaction.atomic
def manifest_delete(*, repository: Repository, reference: str) -> None:
    """By digest: the manifest and every tag on it. By tag: only that tag."""
    if not is_digest(reference):
        tag = Tag.objects.select_related("manifest").filter(repository=repository, name=reference)
        tag = tag.first()
        if tag is None:
            raise ManifestUnknown(detail={"reference": reference})
        tag.delete()
        event_record(
            action="delete",
            repository=repository,
            tag=reference,
            digest=tag.manifest.digest,
            data={"kind": "tag"},
        )
        return
    manifest = manifest_get(repository=repository, reference=reference)
    parents = list(
        ManifestChild.objects.filter(child=manifest).values_list("parent__digest", flat=True)
    )
    if parents:
        raise Denied(
            "manifest is listed by an index in this repository; delete the index first",
            detail={"indexes": parents},
        )
    tags = list(manifest.tags.values_list("name", flat=True))
    manifest.delete()
    event_record(
        action="delete",
        repository=repository,
        digest=reference,
        data={"kind": "manifest", "tags": sorted(tags)},
    )


def referrers(*, repository: Repository, digest: str, artifact_type: str = ""):
    """Descriptors of the manifests whose ``subject`` is ``digest``, as the referrers API lists
    them: each with its ``artifactType``, or, when it has none, its config's ``mediaType`` (the
    spec's rule), which ``artifact_type`` filters on too."""
    digests.parse(digest)
    rows = Manifest.objects.filter(repository=repository, subject_digest=digest).order_by("id")
    result = []
    for m in rows:
        kind = m.artifact_type or _config_media_type(bytes(m.content))
        if artifact_type and kind != artifact_type:
            continue
        entry = {"mediaType": m.media_type, "digest": m.digest, "size": m.size}
        if kind:
            entry["artifactType"] = kind
        if m.annotations:
            entry["annotations"] = m.annotations
        result.append(entry)
    return result


def _config_media_type(content: bytes) -> str:
    """The config descriptor's mediaType of a stored image manifest ("" for an index)."""
    try:
        config = json.loads(content).get("config")
    except ValueError:
        return ""
    return str(config.get("mediaType", "")) if isinstance(config, dict) else ""
