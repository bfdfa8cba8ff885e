"""Thousands of tags in a few bulk inserts: the Tags tab at scale without pushing 5,000 images.

The rows are what the registry writes for pushes (hub/registry/manifests.py): every fifth tag a
two-platform index (linux/amd64, linux/arm64/v8) over two image manifests of its own, the others
single linux/amd64 images. The Tags tab reads no blob, so none is stored.
"""

import hashlib
import json
from datetime import datetime, timedelta

from django.utils import timezone

from hub.models import Manifest, ManifestChild, Repository, Tag
from hub.registry import mediatypes

AMD64_SIZE = 3_100_000
ARM64_SIZE = 2_900_000
PLATFORMS = (("linux", "amd64", "", AMD64_SIZE), ("linux", "arm64", "v8", ARM64_SIZE))


def _manifest(repository: Repository, doc: dict, media_type: str, **fields) -> Manifest:
    content = json.dumps(doc, sort_keys=True).encode()
    return Manifest(
        repository=repository,
        digest="sha256:" + hashlib.sha256(content).hexdigest(),
        media_type=media_type,
        content=content,
        size=len(content),
        **fields,
    )


def seed_tags(
    repository: Repository, count: int, *, prefix: str = "v", start: datetime | None = None
) -> list[str]:
    """``count`` tags named ``{prefix}00000``…, pushed a second apart from ``start`` (by default
    so that the last is pushed now); their names."""
    plan = []  # (name, top manifest, platform manifests)
    for i in range(count):
        name = f"{prefix}{i:05d}"
        platforms = PLATFORMS if i % 5 == 0 else PLATFORMS[:1]
        images = [
            _manifest(
                repository,
                {"tag": name, "platform": [os_, arch, variant]},
                mediatypes.OCI_MANIFEST,
                os=os_,
                architecture=arch,
                variant=variant,
                total_size=size,
            )
            for os_, arch, variant, size in platforms
        ]
        top = images[0]
        if len(images) > 1:
            # The registry records an index's total_size as its children's sum; the pages must
            # never show that number.
            top = _manifest(
                repository,
                {"tag": name, "manifests": [m.digest for m in images]},
                mediatypes.OCI_INDEX,
                total_size=sum(m.total_size for m in images),
            )
        plan.append((name, top, images))
    Manifest.objects.bulk_create(
        [m for _, top, images in plan for m in ([] if top is images[0] else [top]) + images],
        batch_size=1000,
    )
    ids = dict(Manifest.objects.filter(repository=repository).values_list("digest", "id"))
    start = start or timezone.now() - timedelta(seconds=count)
    tags, children = [], []
    for i, (name, top, images) in enumerate(plan):
        tags.append(
            Tag(
                repository=repository,
                name=name,
                manifest_id=ids[top.digest],
                updated_at=start + timedelta(seconds=i),
            )
        )
        if top.media_type == mediatypes.OCI_INDEX:
            children.extend(
                ManifestChild(
                    parent_id=ids[top.digest],
                    child_id=ids[m.digest],
                    os=m.os,
                    architecture=m.architecture,
                    variant=m.variant,
                )
                for m in images
            )
    Tag.objects.bulk_create(tags, batch_size=1000)
    ManifestChild.objects.bulk_create(children, batch_size=1000)
    return [name for name, _, _ in plan]
