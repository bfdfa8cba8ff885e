"""Build output: sanitised, stored with sequence numbers in batches, then broadcast per batch.

The one helper every producer uses (git, builder, push, the pipeline's own messages). The
database is the record; the channel layer only tells live viewers that lines arrived.
"""

import base64
import logging
import re
import time
from urllib.parse import quote

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone

from builds.models import Build, BuildLogLine

log = logging.getLogger(__name__)
MAX_LINE = 4000
BATCH_LINES = 200
BATCH_SECONDS = 0.1
STEP_RE = re.compile(r"^(?:STEP|Step) (\d+)/(\d+)")  # buildah says STEP, docker Step


def group_name(build_id: int) -> str:
    return f"build-{build_id}"


# A password written into a URL (https://user:secret@host), wherever it turns up in a line.
URL_PASSWORD_RE = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)[^/\s@]+@")
MIN_SECRET = 4  # shorter values would blank out ordinary words; secrets are required longer


def _encodings(value: str) -> list[str]:
    """The forms a tool is likely to print a secret in: as it is, URL-encoded, base64 (plain,
    URL-safe, with and without padding), hex."""
    raw = value.encode()
    encoded = [base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()]
    return [value, quote(value, safe=""), *encoded, *(e.rstrip("=") for e in encoded), raw.hex()]


def secret_pieces(value: str) -> list[str]:
    """What to mask for a secret: each of its forms, whole and line by line (log lines are
    single lines)."""
    pieces = [form for part in [value, *value.splitlines()] for form in _encodings(part.strip())]
    return [p for p in dict.fromkeys(p.strip() for p in pieces) if len(p) >= MIN_SECRET]


def sanitize(text: str, secrets: list[str] = (), redactions: list[tuple[str, str]] = ()) -> str:
    """A line fit to store: NUL bytes gone, secrets masked, ``redactions`` (path → placeholder)
    applied, cut to MAX_LINE."""
    text = text.replace("\x00", "").rstrip("\r\n")
    for secret in secrets:
        if secret:
            text = text.replace(secret, "****")
    text = URL_PASSWORD_RE.sub(r"\g<head>****@", text)
    for path, placeholder in redactions:
        text = text.replace(path, placeholder)
    if len(text) > MAX_LINE:
        text = text[:MAX_LINE] + " … (line cut)"
    return text


def repository_group_name(repository_id: int) -> str:
    """The group of a repository's Builds tab: told when any of its builds changes state."""
    return f"repository-builds-{repository_id}"


def _send(group: str, event: dict) -> None:
    """Tell live viewers. Only a notification: when Redis is away (restarting, say) the build
    goes on, its lines are in the database, and viewers catch up from there by seq."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except (OSError, redis.RedisError) as exc:
        log.warning("could not tell viewers of %s: %s", group, exc)


def publish(build_id: int, event: dict) -> None:
    _send(group_name(build_id), event)


def line_event(line: BuildLogLine) -> dict:
    event = {"seq": line.seq, "text": line.text}
    if line.private:
        event["private"] = True  # consumers drop it for viewers who may not push
    return event


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
    """Collects a build's lines and writes them out in batches (by count or by time).

    Every line has its secrets masked. Public lines (the default) also have server paths
    replaced by placeholders; ``private=True`` lines keep them and are shown only to those who
    may push (full command lines, with build-arg values).
    """

    def __init__(self, build: Build, *, secrets: list[str] = ()):
        self.build = build
        self.secrets: list[str] = []
        for secret in secrets:
            self.add_secret(secret)
        self.redactions: list[tuple[str, str]] = []
        self.seq = build.last_seq
        self.output_lines = self.output_bytes = 0
        self.cut = False
        self.pending: list[BuildLogLine] = []
        self.last_flush = time.monotonic()
        self.step = (build.step, build.steps)

    def add_secret(self, secret: str) -> None:
        if secret:
            self.secrets.extend(secret_pieces(secret))
            self.secrets.sort(key=len, reverse=True)  # the longest first: no half-masked rest

    def add_redaction(self, path: str, placeholder: str) -> None:
        self.redactions.append((path, placeholder))
        self.redactions.sort(key=lambda pair: len(pair[0]), reverse=True)

    def clean(self, text: str) -> str:
        """``text`` as a public line would show it (for the build's error field)."""
        return sanitize(text, self.secrets, self.redactions)

    def output(self, text: str) -> None:
        """A line the build's commands printed: stored while the build is within its log's
        limits (WHARF_BUILD_LOG_MAX_LINES, WHARF_BUILD_LOG_MAX_BYTES), counted for progress
        always. Wharf's own lines (``line``) are always stored."""
        self.output_lines += 1
        self.output_bytes += len(text)
        limits = settings.WHARF_BUILD_LOG_MAX_LINES, settings.WHARF_BUILD_LOG_MAX_BYTES
        if self.output_lines <= limits[0] and self.output_bytes <= limits[1]:
            self.line(text)
            return
        if match := STEP_RE.match(text):
            self.step = (int(match[1]), int(match[2]))
        if not self.cut:
            self.cut = True
            self.line(
                f"… the log stops here: the build printed more than {limits[0]:,} lines or "
                f"{limits[1] // (1024 * 1024)} MiB (WHARF_BUILD_LOG_MAX_LINES, "
                "WHARF_BUILD_LOG_MAX_BYTES); it goes on, and its result is shown below."
            )

    def line(self, text: str, *, private: bool = False) -> None:
        text = sanitize(text, self.secrets, () if private else self.redactions)
        self.seq += 1
        # Stamped when read, not when stored: the time the builder printed it, give or take a pipe.
        self.pending.append(
            BuildLogLine(
                build=self.build,
                seq=self.seq,
                text=text,
                private=private,
                created_at=timezone.now(),
            )
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
                "lines": [line_event(line) for line in lines],
                "step": step,
                "steps": steps,
            },
        )
