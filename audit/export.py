"""The audit log as CSV, streamed: the rows of the page's filter, all of them, in its order.

Cells a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, and tab or carriage
return, which some read the same way) get a leading ``'``: an actor name, tag or detail is
typed by whoever acted, and the file is opened by someone else.
"""

import csv
import datetime
import re

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db.models import Q, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from audit.display import actor_label, details_text, target_label
from audit.models import Event

COLUMNS = [
    "id",
    "time",
    "actor",
    "actor_kind",
    "token_name",
    "ip",
    "action",
    "target",
    "repository",
    "tag",
    "digest",
    "details",
]
BATCH = 1000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(event: Event) -> list:
    cells = [
        event.pk,
        event.occurred_at.astimezone(datetime.UTC).isoformat(),
        actor_label(event),
        event.actor_kind,
        event.token_name,
        event.ip or "",
        event.action,
        target_label(event),
        event.repository_name,
        event.tag,
        event.digest,
        details_text(event),
    ]
    return [csv_safe(cell) for cell in cells]


class _Line:
    """What csv.writer writes to: hands back each line instead of keeping it."""

    def write(self, value: str) -> str:
        return value


def _batch(events: QuerySet[Event], after: Event | None) -> list[Event]:
    """The next rows after ``after`` in the log's order (newest first): a keyset, so a long
    export neither holds every row at once nor skips or repeats rows OFFSET would."""
    if after is not None:
        t = after.occurred_at
        events = events.filter(Q(occurred_at__lt=t) | Q(occurred_at=t, id__lt=after.pk))
    return list(events.order_by("-occurred_at", "-id")[:BATCH])


def _lines(events: QuerySet[Event]):
    writer = csv.writer(_Line())
    yield writer.writerow(COLUMNS)
    last = None
    while True:
        rows = _batch(events, last)
        for event in rows:
            yield writer.writerow(csv_row(event))
        if len(rows) < BATCH:
            return
        last = rows[-1]


async def _lines_async(events: QuerySet[Event]):
    # Under ASGI Django would read a plain iterator whole before sending any of it.
    writer = csv.writer(_Line())
    yield writer.writerow(COLUMNS)
    last = None
    while True:
        rows = await sync_to_async(_batch, thread_sensitive=True)(events, last)
        for event in rows:
            yield writer.writerow(csv_row(event))
        if len(rows) < BATCH:
            return
        last = rows[-1]


def csv_filename(scope: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", scope).strip("-") or "site"
    return f"wharf-activity-{safe}-{timezone.now():%Y%m%d-%H%M%S}.csv"


def csv_response(request, events: QuerySet[Event], *, scope: str) -> StreamingHttpResponse:
    lines = _lines_async(events) if isinstance(request, ASGIRequest) else _lines(events)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{csv_filename(scope)}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
