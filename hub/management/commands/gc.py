"""`manage.py gc`: free unreferenced blobs and abandoned uploads (see hub/registry/gc.py)."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand

from hub.registry.gc import collect_garbage


class Command(BaseCommand):
    help = "Delete blobs no manifest references and upload sessions older than the grace period."

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace-hours",
            type=float,
            default=settings.WHARF_GC_GRACE_HOURS,
            help="keep anything touched more recently than this (default: WHARF_GC_GRACE_HOURS)",
        )
        parser.add_argument("--dry-run", action="store_true", help="report, delete nothing")

    def handle(self, *args, grace_hours, dry_run, **options):
        report = collect_garbage(grace=timedelta(hours=grace_hours), dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(
            f"gc {verb} {report.blobs_deleted} blob(s) ({report.bytes_freed} bytes), "
            f"{report.uploads_deleted} upload session(s), "
            f"{report.orphan_files_deleted} orphan upload file(s) in {report.seconds:.2f}s"
        )
