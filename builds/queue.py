"""Sending builds to the workers, and finding the ones whose message the broker lost.

Each send records the task id on the build and stamps ``heartbeat_at`` (for a queued build: when
it was last sent). A build that stays queued while its task id is neither waiting in the broker
nor held by a worker was lost — the broker restarted without its data, or the queue was flushed
— and the reaper sends it once more, then gives up with a reason (builds.reaper).
"""

import json
import logging
import uuid

import kombu.exceptions
import redis
from django.db.models import F
from django.utils import timezone

from builds.models import Build

log = logging.getLogger(__name__)

QUEUE_UNAVAILABLE = (
    "Wharf could not queue the build: its task broker (Redis) is not answering. "
    "Try again in a moment."
)


class Unavailable(Exception):  # noqa: N818  (a service state, said to the user as a 503)
    pass


def _app():
    from hub.celery import app

    return app


def send(build: Build) -> None:
    """Put the build's task on the queue; Unavailable when the broker cannot take it."""
    from builds.tasks import run_build

    task_id = uuid.uuid4().hex
    Build.objects.filter(pk=build.pk).update(
        task_id=task_id, enqueue_attempts=F("enqueue_attempts") + 1, heartbeat_at=timezone.now()
    )
    build.task_id = task_id
    try:
        run_build.apply_async((build.pk,), task_id=task_id, retry=True, retry_policy={
            "max_retries": 2, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1
        })  # fmt: skip
    except (kombu.exceptions.KombuError, redis.RedisError, OSError) as exc:
        raise Unavailable(QUEUE_UNAVAILABLE) from exc
    except Exception as exc:  # whatever else: the build is not queued, and must not look it
        log.exception("build %s: could not be queued", build.pk)
        raise Unavailable(QUEUE_UNAVAILABLE) from exc


def _ids(payloads) -> set[str]:
    found = set()
    for payload in payloads:
        try:
            message = json.loads(payload)
            if isinstance(message, list):  # unacked entries are [message, exchange, key]
                message = message[0]
            found.add(str(message["headers"]["id"]))
        except (ValueError, KeyError, TypeError, IndexError):
            continue
    return found


def pending_task_ids(queues: list[str] | None = None) -> set[str] | None:
    """Task ids the broker holds: waiting in ``queues`` (builds' queue by default) or delivered
    to a worker and not yet acknowledged (acks_late: a running build's task). None when the
    broker cannot be asked."""
    app = _app()
    queues = queues or [app.conf.task_default_queue or "celery"]
    try:
        with app.connection_for_read() as connection:
            channel = connection.default_channel
            client = channel.client
            keys = [
                channel._q_for_pri(queue, priority)
                for queue in queues
                for priority in channel.priority_steps
            ]
            found: set[str] = set()
            for key in keys:
                found |= _ids(client.lrange(key, 0, -1))
            found |= _ids(client.hvals(channel.unacked_key))
            return found
    except (kombu.exceptions.KombuError, redis.RedisError, OSError, AttributeError):
        return None
