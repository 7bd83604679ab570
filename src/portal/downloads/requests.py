"""Massive bills download requests as their owner sees them: one request, the list ("Downloads
requested") with what changed since the last poll, and a ready request's file.

Every function takes the acting `Viewer`; requests are found by id *and* owner, so another user's request
is simply not found (the routes answer 404). A request that holds bills its owner no longer sees is "No
longer available", and gives no file. The request flow is `flow`, the bills of a request
`selection`, the zip job `archive`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import structlog
from babel.numbers import format_decimal

from portal import clock, i18n
from portal.bills import queries as bill_queries
from portal.db import fetch, fetch_one
from portal.db.tables.downloads import DownloadState
from portal.downloads import forms, queries
from portal.downloads.forms import DetailsForm
from portal.i18n import gettext as _
from portal.i18n import gettext_noop
from portal.viewer import Viewer
from portal.web.months import TypedMonth

log = structlog.get_logger("portal.downloads")

IN_PROGRESS = (DownloadState.queued, DownloadState.preparing)
UNAVAILABLE = "unavailable"
"""What a request shows, whatever its state, while it holds bills its owner no longer sees."""
MISSING = "missing"
"""What a ready request shows once storage is found not to have its zip (`downloads.stored`)."""


@dataclass(frozen=True)
class Download:
    """A request as its owner sees it."""

    id: int
    state: str
    name: str
    file_name: str
    period_preset: str
    custom_from: str
    custom_to: str
    period_from: dt.date | None
    period_to: dt.date | None
    select_by: str
    selector: str
    bill_count: int
    total_cents: int
    done: int
    size_bytes: int
    error: str
    created_at: dt.datetime
    requested_at: dt.datetime | None
    ready_at: dt.datetime | None
    expires_at: dt.datetime | None
    access_lost: bool
    """It holds bills of an account its owner no longer sees (`queries.ACCESS_LOST`)."""
    file_missing: bool = False
    """Storage was asked for its zip and did not have it (`downloads.stored`); not a column."""

    @property
    def shown_state(self) -> str:
        """The state as the pages show it: `UNAVAILABLE` while access is lost, whatever the stored state, as
        its file is refused and its zip job refuses to build it: nothing to wait for or to try again. A ready
        one whose zip storage does not have is `MISSING`: no file to promise."""
        if self.access_lost:
            return UNAVAILABLE
        if self.file_missing and self.state == DownloadState.ready:
            return MISSING
        return self.state

    @property
    def file_state(self) -> str:
        """The state as its file's address tells it: a ready request past its time has no file any more
        (the sweep deletes the file first, then marks the request expired), whether or not it was found
        missing."""
        past = self.expires_at is not None and self.expires_at <= clock.now()
        if past and self.shown_state in (DownloadState.ready, MISSING):
            return DownloadState.expired
        return self.shown_state

    @property
    def in_progress(self) -> bool:
        return self.shown_state in IN_PROGRESS

    @property
    def details(self) -> DetailsForm:
        return DetailsForm(
            self.name,
            self.period_preset,
            TypedMonth.from_iso(self.custom_from),
            TypedMonth.from_iso(self.custom_to),
            self.select_by,
            self.selector,
        )

    @property
    def period_label(self) -> str:
        """The preset period's name ("Last 12 months"), or "" for months chosen by hand (their dates say it
        all: "(Choose the months)" after them read oddly)."""
        if self.period_preset == "custom" or self.period_preset not in forms.PERIOD_PRESETS:
            return ""
        return _(forms.PERIOD_PRESETS[self.period_preset])

    @property
    def size_label(self) -> str:
        """The file's size as the page's language writes numbers: "1,2 MB", "37 kB"."""
        locale = i18n.babel_locale()
        if self.size_bytes >= 1_000_000:
            return f"{format_decimal(self.size_bytes / 1_000_000, '#,##0.0', locale=locale)} MB"
        return f"{format_decimal(max(1, round(self.size_bytes / 1000)), locale=locale)} kB"

    @property
    def ready_another_day(self) -> bool:
        """Whether the file was ready on another day than it was requested (in the customers' time zone):
        next to the request's day and time, "ready" then says its day too, not only the time."""
        return (
            self.ready_at is not None
            and self.requested_at is not None
            and clock.day_of(self.ready_at) != clock.day_of(self.requested_at)
        )

    @property
    def state_label(self) -> str:
        return _(STATE_LABELS.get(self.shown_state, self.shown_state))


STATE_LABELS: dict[str, str] = {
    DownloadState.draft: gettext_noop("Not requested yet"),
    DownloadState.queued: gettext_noop("Queued"),
    DownloadState.preparing: gettext_noop("Preparing"),
    DownloadState.ready: gettext_noop("Ready"),
    DownloadState.failed: gettext_noop("Failed"),
    DownloadState.expired: gettext_noop("Expired"),
    UNAVAILABLE: gettext_noop("No longer available"),
    MISSING: gettext_noop("File not found"),
}


def _download(row: dict[str, Any]) -> Download:
    return Download(**row)


async def get_request(viewer: Viewer, request_id: int) -> Download | None:
    row = await fetch_one(
        f'SELECT {queries.DOWNLOAD_COLUMNS} FROM download_request r WHERE id = {{}} AND "user" = {{}}',  # noqa: S608
        request_id,
        viewer.user_id,
    )
    return _download(row) if row else None


async def list_requests(viewer: Viewer, limit: int = 200) -> list[Download]:
    """Every request of the viewer but drafts, newest first."""
    rows = await fetch(
        f"SELECT {queries.DOWNLOAD_COLUMNS} FROM download_request r"  # noqa: S608
        f" WHERE \"user\" = {{}} AND state <> 'draft' ORDER BY created_at DESC, id DESC LIMIT {int(limit)}",
        viewer.user_id,
    )
    return [_download(row) for row in rows]


async def recent_downloads(viewer: Viewer) -> list[Download]:
    """The last 3 requests, for the Customer Service Area home."""
    return await list_requests(viewer, limit=3)


def state_signature(downloads: list[Download]) -> str:
    """The states a page shows, as "id:state" pairs: the next poll sends it back to learn what changed."""
    return ",".join(f"{download.id}:{download.shown_state}" for download in downloads)


def changes_since(downloads: list[Download], seen: str) -> str:
    """What to announce after a poll: the requests whose state changed since the signature `seen`."""
    before = dict(pair.partition(":")[::2] for pair in seen.split(",")[:500] if ":" in pair)
    messages = []
    for download in downloads:
        previous = before.get(str(download.id))
        if previous is None or previous == download.shown_state:
            continue
        messages.append(f"{download.file_name}: {download.state_label.lower()}.")
    return " ".join(messages)


async def visible_holders(viewer: Viewer) -> list[dict[str, str]]:
    """The identity documents (and names) of the holders whose accounts the viewer may see."""
    rows = await fetch(
        "SELECT DISTINCT c.identity_number AS identity, c.name"
        + bill_queries.VIEWER_ACCOUNTS
        + ' WHERE x."user" = {} ORDER BY c.name',
        viewer.user_id,
    )
    return [dict(row) for row in rows]
