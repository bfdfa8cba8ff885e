"""Celery tasks for builds: thin wrappers that take ids and call the pipeline."""

from celery import shared_task
from django.conf import settings

from builds import pipeline


@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=True,
    # The pipeline enforces WHARF_BUILD_TIMEOUT itself (and stops the process tree); these are
    # the backstop for a pipeline that hangs outside a subprocess.
    soft_time_limit=settings.WHARF_BUILD_TIMEOUT + 120,
    time_limit=settings.WHARF_BUILD_TIMEOUT + 300,
)
def run_build(self, build_id: int) -> None:
    pipeline.run(build_id, hostname=self.request.hostname or "worker")


@shared_task(ignore_result=True)
def reap_lost_builds() -> None:
    pipeline.reap_lost()
