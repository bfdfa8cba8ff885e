"""Celery tasks for builds: thin wrappers that take ids and call the pipeline and the reaper."""

from celery import shared_task
from django.conf import settings

from builds import pipeline, reaper
from builds.models import BuildRule
from hub.models import Repository

REPOSITORY_BUSY_RETRY_SECONDS = 3


@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=True,
    # A build waits its turn behind its repository's running one for as long as that takes:
    # retry(max_retries=None) alone means Celery's default of 3, after which the build would
    # stay queued, never run (seen when the first build takes longer than 3 retries' wait).
    max_retries=None,
    # The pipeline enforces WHARF_BUILD_TIMEOUT itself (and stops the process tree); these are
    # the backstop for a pipeline that hangs outside a subprocess.
    soft_time_limit=settings.WHARF_BUILD_TIMEOUT + 120,
    time_limit=settings.WHARF_BUILD_TIMEOUT + 300,
)
def run_build(self, build_id: int) -> None:
    if not pipeline.run(build_id, hostname=self.request.hostname or "worker"):
        # Another build of the repository runs: wait in the broker, not in a worker slot. The
        # task keeps its id, so the reaper still finds it waiting.
        raise self.retry(countdown=REPOSITORY_BUSY_RETRY_SECONDS, max_retries=None)


@shared_task(ignore_result=True)
def reap_lost_builds() -> None:
    reaper.reap_lost()
    reaper.reap_queued()


def live_rules(repository_ids: list[int]) -> dict[int, set[int]]:
    """Of these repositories, the existing ones, each with the ids of its rules."""
    live: dict[int, set[int]] = {
        pk: set()
        for pk in Repository.objects.filter(pk__in=repository_ids).values_list("pk", flat=True)
    }
    for repository_id, rule_id in BuildRule.objects.filter(
        repository_id__in=list(live)
    ).values_list("repository_id", "id"):
        live[repository_id].add(rule_id)
    return live


@shared_task(ignore_result=True, soft_time_limit=50, time_limit=60)
def prune_build_stores() -> None:
    """Beat's: every live worker prunes its own layer stores (builds.worker.PRUNE_COMMAND)."""
    from builds.worker import PRUNE_COMMAND
    from hub import celery_app

    celery_app.control.broadcast(PRUNE_COMMAND, reply=False)
