"""Copy every blob of one store into another (``manage.py storage_migrate``).

Resumable: a blob the target already holds at the right size is skipped, so a copy that was
interrupted (or is run again after more pushes) picks up where it stopped. Blobs are written
whole or not at all (``put_file``), and the target is listed once rather than asked per blob.
Upload sessions are not copied: clients restart an upload that was in flight.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from hub.registry.storage.base import Store


@dataclass
class CopyReport:
    blobs: int = 0  # in the source
    total_bytes: int = 0
    copied: int = 0
    copied_bytes: int = 0
    skipped: int = 0  # already in the target, same size
    done_bytes: int = 0  # copied or skipped, for the progress line
    seconds: float = 0.0


def storage_copy(
    *, source: Store, target: Store, progress: Callable[[CopyReport], None] | None = None
) -> CopyReport:
    """Copy the blobs of ``source`` missing from ``target``; ``progress`` is called after each."""
    started = time.monotonic()
    present = dict(target.digests())
    blobs = sorted(source.digests())
    report = CopyReport(blobs=len(blobs), total_bytes=sum(size for _, size in blobs))
    for digest, size in blobs:
        if present.get(digest) == size:
            report.skipped += 1
        else:
            with source.open(digest) as fh:
                target.put_file(fh, digest)
            report.copied += 1
            report.copied_bytes += size
        report.done_bytes += size
        report.seconds = time.monotonic() - started
        if progress is not None:
            progress(report)
    report.seconds = time.monotonic() - started
    return report
