"""`manage.py storage_migrate --to s3://bucket/prefix`: copy the filesystem blob store to S3."""

import time
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hub.registry.storage import FilesystemStore, store_for_url
from hub.registry.storage.migrate import CopyReport, storage_copy


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


class Command(BaseCommand):
    help = (
        "Copy every blob of the filesystem store ($WHARF_DATA_DIR/registry) to S3-compatible "
        "storage; run again to resume (blobs already there are skipped). Then set "
        "WHARF_STORAGE_URL to the same URL."
    )

    def add_arguments(self, parser):
        parser.add_argument("--to", required=True, metavar="s3://bucket/prefix")
        parser.add_argument(
            "--from-dir",
            type=Path,
            default=None,
            help="the registry directory to copy (default: $WHARF_DATA_DIR/registry)",
        )

    def handle(self, *args, to: str, from_dir: Path | None, **options):
        root = from_dir or Path(settings.WHARF_REGISTRY_DIR)
        if not (root / "blobs").is_dir():
            raise CommandError(f"no filesystem blob store at {root}")
        try:
            target = store_for_url(to, redirect=False)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        shown = 0.0

        def progress(report: CopyReport) -> None:
            nonlocal shown
            if time.monotonic() - shown < 1 and report.copied + report.skipped < report.blobs:
                return
            shown = time.monotonic()
            self.stdout.write(
                f"storage_migrate: {report.copied + report.skipped}/{report.blobs} blobs, "
                f"{_size(report.done_bytes)} of {_size(report.total_bytes)} "
                f"({report.skipped} already there)"
            )

        try:
            report = storage_copy(source=FilesystemStore(root), target=target, progress=progress)
        except (BotoCoreError, ClientError) as exc:
            raise CommandError(f"copying to {to} failed: {exc}") from None
        self.stdout.write(
            f"storage_migrate: copied {report.copied} blob(s) ({_size(report.copied_bytes)}), "
            f"skipped {report.skipped} already in {to}, in {report.seconds:.1f}s. "
            f"Now set WHARF_STORAGE_URL={to} and restart Wharf."
        )
