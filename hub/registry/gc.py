"""Garbage collection: free blobs no manifest references, and abandoned upload sessions;
evict what the pull-through cache holds that nobody pulled for a while (proxy/evict.py).

Blobs and uploads are the store's (hub/registry/storage/): files, or S3 objects and multipart
uploads, which go the same way. Safe to run while clients push:
- a blob uploaded or mounted within the grace period is kept even if nothing references it yet,
  since the push's manifest may still be on its way;
- each blob is re-checked and deleted under its row lock, and its file removed before that lock
  is released, while uploads and manifest pushes take the same lock: a push either sees the blob
  gone (and uploads it again) or makes its reference first (and gc keeps the blob).
"""

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hub.models import Blob, ManifestBlob, Upload
from hub.registry.storage import UploadState, get_store
from proxy.evict import evict_unpulled

log = logging.getLogger(__name__)


@dataclass
class GcReport:
    blobs_deleted: int = 0
    bytes_freed: int = 0
    uploads_deleted: int = 0
    cached_manifests_evicted: int = 0
    orphan_files_deleted: int = 0
    seconds: float = 0.0


def _unreferenced():
    return Blob.objects.exclude(pk__in=ManifestBlob.objects.values("blob_id"))


def collect_garbage(*, grace: timedelta, dry_run: bool = False) -> GcReport:
    started = time.monotonic()
    report = GcReport()
    store = get_store()
    cutoff = timezone.now() - grace
    # First what the pull-through cache no longer needs, so its blobs go in this same run.
    report.cached_manifests_evicted = evict_unpulled(
        days=settings.WHARF_PROXY_RETENTION_DAYS, dry_run=dry_run
    )

    for upload in Upload.objects.filter(updated_at__lt=cutoff):
        report.uploads_deleted += 1
        if not dry_run:
            store.upload_delete(upload.uuid, UploadState(upload.size, upload.store_state or {}))
            upload.delete()
    # What uploads left in the store without a session row (a crash between the two): files,
    # or S3 objects and multipart uploads, by age.
    live = {
        str(uuid): UploadState(size, state or {})
        for uuid, size, state in Upload.objects.values_list("uuid", "size", "store_state")
    }
    report.orphan_files_deleted = store.upload_sweep(live=live, cutoff=cutoff, dry_run=dry_run)

    candidates = list(
        _unreferenced().filter(last_linked_at__lt=cutoff).values_list("pk", flat=True)
    )
    for pk in candidates:
        with transaction.atomic():
            blob = (
                _unreferenced().select_for_update().filter(pk=pk, last_linked_at__lt=cutoff).first()
            )
            if blob is None:  # referenced or re-pushed since the candidates were listed
                continue
            report.blobs_deleted += 1
            report.bytes_freed += blob.size
            if not dry_run:
                blob.delete()
                store.delete(blob.digest)
    report.seconds = time.monotonic() - started
    log.info("registry gc: %s", report)
    return report
