"""What an audit log may be narrowed to, and reading the times people type.

The page's form and the API's query serializer both read their input through these, so
``?since=2026-01-31`` means the same on both and a bad value gets the same message.
"""

import datetime
from dataclasses import dataclass

from django.utils import dateparse, timezone

from hub.events import ACTIONS

# "build." matches build.queued, build.success…: every action of one family.
ACTION_PREFIXES = tuple(sorted({a.split(".", 1)[0] + "." for a in ACTIONS if "." in a}))
ACTION_CHOICES = (*ACTIONS, *ACTION_PREFIXES)

MOMENT_HELP = "A date (2026-01-31) or a date and time (2026-01-31T14:30, with Z or +02:00)."
BAD_MOMENT = (
    "Enter a date (2026-01-31) or a date and time (2026-01-31T14:30, optionally with Z or "
    "+02:00); got {value!r}."
)
BAD_ORDER = "“since” must not be after “until”."
BAD_ACTION = "Unknown action {value!r}: use one of {known}, or a family such as “build.”."


@dataclass(frozen=True)
class EventFilter:
    """An audit log narrowed down; empty fields narrow nothing."""

    actor: str = ""  # the acting account's name, exactly (robots: acme+ci)
    action: str = ""  # an action, or a family ending in "." (build.)
    repository: str = ""  # within a namespace: a repository's name; site-wide: ns or ns/name
    since: datetime.datetime | None = None  # from this moment on
    until: datetime.datetime | None = None  # up to and including this moment

    @property
    def is_empty(self) -> bool:
        return not (self.actor or self.action or self.repository or self.since or self.until)


def action_check(value: str) -> str:
    """The action filter as given, if it names an action or a family; ValueError if not."""
    value = value.strip()
    if value and value not in ACTION_CHOICES:
        known = ", ".join(ACTION_CHOICES)
        raise ValueError(BAD_ACTION.format(value=value[:50], known=known))
    return value


def moment_parse(value: str, *, end: bool = False) -> datetime.datetime | None:
    """A date or datetime in ISO 8601 as an aware datetime; ValueError with a message a person
    can act on when it is neither.

    A bare date means the whole day: its first moment for ``since``, its last (``end``) for
    ``until``. Times without an offset are in the site's time zone.
    """
    value = (value or "").strip()
    if not value:
        return None
    error = ValueError(BAD_MOMENT.format(value=value[:40]))
    if len(value) > 40:
        raise error
    try:
        # The date first: Python reads a bare date as a datetime at midnight, which would
        # make ``until=2026-01-31`` stop at the start of that day.
        day = dateparse.parse_date(value)
        moment = None if day is not None else dateparse.parse_datetime(value)
    except ValueError:  # well-formed but impossible: 2026-02-30, 25:00
        raise error from None
    if moment is None and day is None:
        raise error
    if moment is None:
        moment = datetime.datetime.combine(day, datetime.time.max if end else datetime.time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    try:
        moment.astimezone(datetime.UTC)  # what the database stores; year 1 or 9999 may not fit
    except OverflowError:
        raise error from None
    return moment


def order_check(since, until) -> None:
    if since is not None and until is not None and since > until:
        raise ValueError(BAD_ORDER)
