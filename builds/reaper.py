"""Builds nobody will finish: running ones whose worker died, queued ones whose task was lost.

Run by Celery beat every minute (builds.tasks). Each end is a conditional UPDATE, so a build a
worker claims or finishes meanwhile is left alone.
"""

from django.db.models import Q
from django.utils import timezone

from builds import queue
from builds.events import build_event_record
from builds.logs import LogWriter, publish_status
from builds.models import Build

LOST_TASK_RETRIES = 1  # a lost task is sent once more, then the build ends with a reason


def _end(build_id: int, *, among, error: str, line: str, **conditions) -> bool:
    """Mark one build ``error`` if it is still in ``among`` (and matches ``conditions``)."""
    ended = Build.objects.filter(pk=build_id, status__in=among, **conditions).update(
        status=Build.Status.ERROR, error=error, finished_at=timezone.now(), credential_jti=""
    )
    if ended:
        build = Build.objects.select_related("repository__namespace", "triggered_by").get(
            pk=build_id
        )
        build_event_record(build=build)
        writer = LogWriter(build)
        writer.line(line)
        writer.flush()
        publish_status(build)
    return bool(ended)


def reap_lost(*, older_than_seconds: int = 180) -> int:
    """Builds whose worker stopped beating (killed mid-build) end as errors."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    lost = list(
        Build.objects.filter(status__in=Build.RUNNING, heartbeat_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    for pk in lost:
        _end(
            pk,
            among=Build.RUNNING,
            heartbeat_at__lt=cutoff,
            error="worker lost",
            line="The worker running this build stopped answering; marked as lost.",
        )
    return len(lost)


def reap_worker_restarted(*, hostname: str) -> int:
    """A worker that starts runs nothing yet: builds its earlier self was running are over."""
    running = list(
        Build.objects.filter(status__in=Build.RUNNING, worker=hostname).values_list("pk", flat=True)
    )
    ended = 0
    for pk in running:
        ended += _end(
            pk,
            among=Build.RUNNING,
            worker=hostname,
            error="worker lost (it restarted)",
            line="The worker running this build was stopped and has started again; marked as lost.",
        )
    return ended


def reap_queued(
    *, older_than_seconds: int = 120, queues: list[str] | None = None
) -> tuple[int, int]:
    """(sent again, given up): queued builds whose task the broker no longer holds."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    # heartbeat_at of a queued build: when it was last sent. Never sent (the process died between
    # the commit and the send): its age is its creation's.
    sent_long_ago = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    waiting = list(
        Build.objects.filter(sent_long_ago, status=Build.Status.QUEUED, cancel_requested=False)
    )
    if not waiting:
        return 0, 0
    pending = queue.pending_task_ids(queues)
    if pending is None:  # the broker is away: nothing can be told, nor sent
        return 0, 0
    again = given_up = 0
    for build in waiting:
        if build.task_id and build.task_id in pending:
            continue
        if build.enqueue_attempts <= LOST_TASK_RETRIES:
            still = Build.objects.filter(
                pk=build.pk, status=Build.Status.QUEUED, task_id=build.task_id
            )
            if not still.exists():
                continue
            writer = LogWriter(build)
            writer.line("The queue lost this build's task (did Redis restart?); queued again.")
            writer.flush()
            try:
                queue.send(build)
            except queue.Unavailable:
                continue
            again += 1
        elif _end(
            build.pk,
            among=(Build.Status.QUEUED,),
            task_id=build.task_id,
            error="the queue lost this build's task twice; start it again",
            line="The queue lost this build's task again; giving up. Start the build again.",
        ):
            given_up += 1
    return again, given_up
