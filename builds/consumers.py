"""A build's log and status, live over a websocket: ``/ws/builds/<id>/?after=<seq>``.

Style rule 8, in this order: join the build's group first, then replay the stored lines after
the client's ``seq``, then forward live batches. Anything published while the replay runs waits
in this consumer's channel, so overlap is possible (the client drops seqs it has) but a gap is
not. Should the channel layer drop a batch anyway (a full channel), the gap is noticed by its
seq and filled from the database, which is the record; the channel layer only notifies.
"""

import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from builds.logs import group_name, status_event
from builds.models import Build, BuildLogLine
from hub.permissions import repository_access

# Close codes. 4404 is sent after accepting, because a refused handshake reaches a browser as
# 1006 ("abnormal"), indistinguishable from a dropped connection it should retry.
CLOSE_NOT_FOUND = 4404
CLOSE_FINISHED = 1000
REPLAY_CHUNK = 500
RECHECK_SECONDS = 30


@database_sync_to_async
def _access(user, build_id: int) -> tuple[bool, bool]:
    """(may see the build, may read its private lines: those who may push)."""
    build = (
        Build.objects.visible_to(user)
        .select_related("repository__namespace")
        .filter(pk=build_id)
        .first()
    )
    if build is None:
        return False, False
    return True, repository_access(user, build.repository).write


@database_sync_to_async
def _build_status(build_id: int) -> dict | None:
    build = Build.objects.filter(pk=build_id).first()
    return status_event(build) if build else None


@database_sync_to_async
def _lines(build_id: int, after: int, before: int | None = None) -> list[dict]:
    """Stored lines with ``after < seq (< before)``, at most one chunk, in order (private ones
    marked, for the consumer to drop for viewers who may not read them)."""
    rows = BuildLogLine.objects.filter(build_id=build_id, seq__gt=after)
    if before is not None:
        rows = rows.filter(seq__lt=before)
    chunk = rows.order_by("seq").values_list("seq", "text", "private")[:REPLAY_CHUNK]
    return [
        {"seq": seq, "text": text, **({"private": True} if private else {})}
        for seq, text, private in chunk
    ]


def _after(query_string: bytes) -> int:
    values = parse_qs(query_string.decode("latin1")).get("after") or ["0"]
    try:
        return max(0, int(values[0]))
    except ValueError:
        return 0


class BuildLogConsumer(AsyncJsonWebsocketConsumer):
    """Sends ``{"type": "status", ...}`` and ``{"type": "lines", "lines": [...]}`` messages."""

    build_id: int = 0
    group: str = ""
    last_seq: int = 0
    progress: tuple[int, int] = (0, 0)  # (step, steps) as last sent
    done: bool = False
    checked_at: float = 0.0  # when access was last asked (time.monotonic())
    writer: bool = False  # may read the private lines (full command lines)

    async def connect(self):
        self.build_id = int(self.scope["url_route"]["kwargs"]["build_id"])
        await self.accept()
        visible, self.writer = await _access(self.scope.get("user"), self.build_id)
        if not visible:
            # Missing and not-yours look alike: nothing is said about the build either way.
            self.done = True
            await self.close(CLOSE_NOT_FOUND)
            return
        self.checked_at = time.monotonic()
        self.group = group_name(self.build_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.last_seq = _after(self.scope.get("query_string", b""))
        # Read after joining: a status published from here on also arrives as an event.
        status = await _build_status(self.build_id)
        if status is None:  # deleted in between
            await self._finish(CLOSE_NOT_FOUND)
            return
        await self._send_status(status)
        await self._replay(step=status["step"], steps=status["steps"])
        if status["status"] in Build.FINAL:
            await self._finish(CLOSE_FINISHED)

    async def disconnect(self, code):
        self.done = True
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """The client has nothing to say; whatever it sends is ignored."""

    # --- events from the group (builds/logs.py) ---

    async def _still_visible(self, *, force: bool = False) -> bool:
        """Access is asked again on every status change and every half minute of lines: a
        repository made private, or a viewer who lost access, hears no more."""
        now = time.monotonic()
        if not force and now - self.checked_at < RECHECK_SECONDS:
            return True
        self.checked_at = now
        visible, self.writer = await _access(self.scope.get("user"), self.build_id)
        if visible:
            return True
        await self._finish(CLOSE_NOT_FOUND)
        return False

    async def build_lines(self, event):
        if self.done or not await self._still_visible():
            return
        lines = [line for line in event["lines"] if line["seq"] > self.last_seq]
        if not lines:
            # Replayed already, but perhaps with the step as it was before this batch was counted.
            if (event["step"], event["steps"]) != self.progress:
                await self._send_lines([], event["step"], event["steps"])
            return
        if lines[0]["seq"] > self.last_seq + 1:
            # A batch went missing between the writer and us: fetch it from the record.
            await self._replay(step=event["step"], steps=event["steps"], before=lines[0]["seq"])
        await self._send_lines(lines, event["step"], event["steps"])

    async def build_status(self, event):
        if self.done or not await self._still_visible(force=True):
            return
        if event["status"] in Build.FINAL:
            # Every line is stored before the final status is published; send any not yet sent.
            await self._replay(step=event["step"], steps=event["steps"])
            await self._send_status(event)
            await self._finish(CLOSE_FINISHED)
        else:
            await self._send_status(event)

    # --- helpers ---

    async def _replay(self, *, step: int, steps: int, before: int | None = None) -> None:
        while True:
            lines = await _lines(self.build_id, self.last_seq, before)
            if not lines:
                return
            await self._send_lines(lines, step, steps)
            if len(lines) < REPLAY_CHUNK:
                return

    async def _send_lines(self, lines: list[dict], step: int, steps: int) -> None:
        """Send ``lines`` (those this viewer may read); seqs count all lines, sent or not."""
        if lines:
            self.last_seq = lines[-1]["seq"]
        shown = [
            {"seq": line["seq"], "text": line["text"]}
            for line in lines
            if self.writer or not line.get("private")
        ]
        if lines and not shown and (step, steps) == self.progress:
            return  # nothing this viewer may read, and no progress to tell
        self.progress = (step, steps)
        await self.send_json({"type": "lines", "lines": shown, "step": step, "steps": steps})

    async def _send_status(self, status: dict) -> None:
        self.progress = (status["step"], status["steps"])
        await self.send_json({**status, "type": "status"})

    async def _finish(self, code: int) -> None:
        self.done = True
        await self.channel_layer.group_discard(self.group, self.channel_name)
        await self.close(code)
