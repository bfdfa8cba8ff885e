"""Build output: sanitised, stored with sequence numbers in batches, then broadcast per batch.

The one helper every producer uses (git, builder, push, the pipeline's own messages). The
database is the record; the channel layer only tells live viewers that lines arrived.
"""

import re
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from builds.models import Build, BuildLogLine

MAX_LINE = 4000
BATCH_LINES = 200
BATCH_SECONDS = 0.1
STEP_RE = re.compile(r"^STEP (\d+)/(\d+)")


def group_name(build_id: int) -> str:
    return f"build-{build_id}"


def sanitize(text: str, secrets: list[str] = ()) -> str:
    text = text.replace("\x00", "").rstrip("\r\n")
    for secret in secrets:
        if secret:
            text = text.replace(secret, "****")
    if len(text) > MAX_LINE:
        text = text[:MAX_LINE] + " … (line cut)"
    return text


def repository_group_name(repository_id: int) -> str:
    """The group of a repository's Builds tab: told when any of its builds changes state."""
    return f"repository-builds-{repository_id}"


def _send(group: str, event: dict) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, event)


def publish(build_id: int, event: dict) -> None:
    _send(group_name(build_id), event)


def status_event(build: Build) -> dict:
    return {
        "type": "build.status",
        "status": build.status,
        "step": build.step,
        "steps": build.steps,
        "error": build.error,
        "digest": build.digest,
        "commit": build.commit_sha,
        "started_at": build.started_at.isoformat() if build.started_at else None,
        "finished_at": build.finished_at.isoformat() if build.finished_at else None,
    }


def publish_status(build: Build) -> None:
    """A build's new state, to its own page and to its repository's Builds tab."""
    publish(build.pk, status_event(build))
    event = {"type": "builds.changed", "build": build.pk, "status": build.status}
    _send(repository_group_name(build.repository_id), event)


class LogWriter:
    """Collects a build's lines and writes them out in batches (by count or by time)."""

    def __init__(self, build: Build, *, secrets: list[str] = ()):
        self.build = build
        self.secrets = [s for s in secrets if s]
        self.seq = build.last_seq
        self.pending: list[BuildLogLine] = []
        self.last_flush = time.monotonic()
        self.step = (build.step, build.steps)

    def add_secret(self, secret: str) -> None:
        if secret:
            self.secrets.append(secret)

    def line(self, text: str) -> None:
        text = sanitize(text, self.secrets)
        self.seq += 1
        # Stamped when read, not when stored: the time the builder printed it, give or take a pipe.
        self.pending.append(
            BuildLogLine(build=self.build, seq=self.seq, text=text, created_at=timezone.now())
        )
        if match := STEP_RE.match(text):
            self.step = (int(match[1]), int(match[2]))
        if len(self.pending) >= BATCH_LINES or time.monotonic() - self.last_flush >= BATCH_SECONDS:
            self.flush()

    def flush(self) -> None:
        self.last_flush = time.monotonic()
        if not self.pending:
            return
        lines, self.pending = self.pending, []
        BuildLogLine.objects.bulk_create(lines)
        step, steps = self.step
        Build.objects.filter(pk=self.build.pk).update(
            last_seq=lines[-1].seq, step=step, steps=steps
        )
        self.build.last_seq, self.build.step, self.build.steps = lines[-1].seq, step, steps
        publish(
            self.build.pk,
            {
                "type": "build.lines",
                "lines": [{"seq": line.seq, "text": line.text} for line in lines],
                "step": step,
                "steps": steps,
            },
        )
