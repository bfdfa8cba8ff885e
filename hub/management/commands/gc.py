"""`manage.py gc`: free unreferenced blobs and abandoned uploads (see hub/registry/gc.py)."""

from datetime import timedelta

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hub.locks import Lock
from hub.tasks import GC_LOCK, registry_gc_exclusive


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
        try:
            report = registry_gc_exclusive(grace=timedelta(hours=grace_hours), dry_run=dry_run)
        except redis.RedisError as exc:
            raise CommandError(
                f"Redis (REDIS_URL) is not answering: {exc}. gc takes a lock there, so that two "
                "never run at once; try again once Redis is back."
            ) from exc
        if report is None:
            holder = Lock(GC_LOCK).holder() or "another process"
            self.stdout.write(f"gc skipped: a gc is running already ({holder}); nothing done")
            return
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(
            f"gc {verb} {report.blobs_deleted} blob(s) ({report.bytes_freed} bytes), "
            f"{report.uploads_deleted} upload session(s), "
            f"{report.orphan_files_deleted} orphan upload file(s) in {report.seconds:.2f}s"
        )
