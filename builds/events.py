"""The events a build's life records (``hub.events``): queued, then one of success, failed or
cancelled (a timeout and Wharf's own errors are failures, with the status in ``data``)."""

from builds.models import Build
from hub.events import EventActor, actor_for, event_record

FINAL_ACTIONS = {
    Build.Status.SUCCESS: "build.success",
    Build.Status.CANCELLED: "build.cancelled",
    Build.Status.FAILED: "build.failed",
    Build.Status.TIMED_OUT: "build.failed",
    Build.Status.ERROR: "build.failed",
}


def build_event_record(*, build: Build) -> None:
    """Record the build's current state: ``build.queued`` by whoever queued it (the request's
    caller), a final state on behalf of whoever triggered it (Wharf itself for triggers)."""
    if build.status == Build.Status.QUEUED:
        action, actor = "build.queued", None
    elif build.status in FINAL_ACTIONS:
        action = FINAL_ACTIONS[build.status]
        user = build.triggered_by if build.triggered_by_id else None
        actor = actor_for(user) if user is not None else EventActor.system()
    else:
        return
    event_record(
        action=action,
        actor=actor,
        repository=build.repository,
        digest=build.digest or "",
        data={
            "build_id": build.pk,
            "status": build.status,
            "tags": list(build.tags or []),
            "source_url": build.source_url,
            "source_ref": build.source_ref,
            "trigger": build.trigger,
            "error": build.error or "",
        },
    )
