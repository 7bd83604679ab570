"""The one clock: every "now" and "today" of the portal, its jobs and its demo comes from here.

`now()` is an aware UTC datetime; `today()` is the date in the customers' time zone (TIMEZONE), so a bill
is overdue from midnight in Madrid, not in UTC. Each process calls `configure(settings)` once as it starts
(the app, the worker, the sandbox bank, the CLI). With PORTAL_NOW the clock reads that instant when the
process starts and runs on from there, so a demo or a QA session can take place "as of" any date; the
processes that `portal run` starts together agree to within their start-up time. Tests freeze it with
`frozen_at()`.

The database's own `now()` is not used: every time the portal stores or compares is a parameter from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from portal.settings import Settings

_PROCESS_START = dt.datetime.now(dt.UTC)
_zone = ZoneInfo("Europe/Madrid")
_offset = dt.timedelta(0)
_frozen: dt.datetime | None = None


def configure(settings: Settings) -> None:
    """Take the time zone and PORTAL_NOW from the settings. Calling it again with the same settings
    changes nothing: PORTAL_NOW is anchored to the process start, not to the call."""
    global _zone, _offset
    _zone = ZoneInfo(settings.locale.timezone)
    start = settings.clock_start
    _offset = dt.timedelta(0) if start is None else start - _PROCESS_START


def now() -> dt.datetime:
    if _frozen is not None:
        return _frozen
    return dt.datetime.now(dt.UTC) + _offset


def today() -> dt.date:
    """The date for the customers: in their time zone."""
    return day_of(now())


def day_of(instant: dt.datetime) -> dt.date:
    """The customers' date at `instant` (aware): in their time zone, not UTC's."""
    return local(instant).date()


def local(instant: dt.datetime) -> dt.datetime:
    """`instant` (aware) in the customers' time zone (TIMEZONE), as people there read it."""
    return instant.astimezone(_zone)


@contextmanager
def frozen_at(instant: dt.datetime) -> Iterator[None]:
    """Stop the clock at `instant` (aware) inside the block; the clock that was in force comes back after."""
    global _frozen
    if instant.tzinfo is None:
        raise ValueError("frozen_at needs an aware datetime")
    before = _frozen
    _frozen = instant.astimezone(dt.UTC)
    try:
        yield
    finally:
        _frozen = before
