"""The request flow: a draft row (details → marked bills → check) confirmed into a request whose zip a job
builds; a failed request tried again. Every function takes the acting `Viewer`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import structlog
from saq import Queue

from portal import clock
from portal.db import engine as db_engine
from portal.db import execute, fetch
from portal.db.tables import DownloadRequest
from portal.db.tables.downloads import DownloadState
from portal.downloads import forms
from portal.downloads.archive import enqueue_zip
from portal.downloads.forms import DetailsForm
from portal.downloads.requests import get_request
from portal.downloads.selection import (
    check_limits_of_marks,
    draft_selection,
    marked_summary,
    selection_count,
)
from portal.i18n import gettext as _
from portal.i18n import gettext_noop
from portal.settings import DownloadSettings, Settings
from portal.viewer import Viewer
from portal.web.forms import Outcome

log = structlog.get_logger("portal.downloads")

NO_BILLS = gettext_noop(
    "No bills found for this identity document or account number in this period. Check them and try again"
)


async def save_details(
    viewer: Viewer, request_id: int | None, answers: DetailsForm, today: dt.date | None = None
) -> tuple[int | None, Outcome]:
    """Check the first step's answers and keep them in the draft (a new one when `request_id` is None).
    A selection without bills, or of a holder or account the viewer may not see, gets one message that
    reveals nothing. Marks that fall outside a changed selection are dropped."""
    checked, errors = forms.check_details(answers, today or clock.today())
    if checked is None:
        return None, Outcome(errors)
    if not await selection_count(viewer, checked):
        return None, Outcome({f"selector_{checked.select_by}": _(NO_BILLS)})
    now = clock.now()
    values: dict[str, Any] = {
        "name": checked.name,
        "file_name": checked.file_name,
        "period_preset": checked.period_preset,
        "custom_from": checked.custom_from,
        "custom_to": checked.custom_to,
        "period_from": checked.period_from,
        "period_to": checked.period_to,
        "select_by": checked.select_by,
        "selector": checked.selector,
        "updated_at": now,
    }
    if request_id is None:
        created = await DownloadRequest.insert(
            DownloadRequest(user=viewer.user_id, state=DownloadState.draft, created_at=now, **values)
        ).returning(DownloadRequest.id)
        return int(created[0]["id"]), Outcome()
    await DownloadRequest.update({getattr(DownloadRequest, k): v for k, v in values.items()}).where(
        (DownloadRequest.id == request_id)
        & (DownloadRequest.user == viewer.user_id)
        & (DownloadRequest.state == DownloadState.draft)
    )
    draft = await get_request(viewer, request_id)
    if draft is not None:
        sql, args = draft_selection(viewer, draft)
        await execute(
            "DELETE FROM download_request_bill WHERE request = {} AND bill NOT IN (SELECT b.id" + sql + ")",  # noqa: S608
            request_id,
            *args,
        )
    return request_id, Outcome()


async def in_progress_count(viewer: Viewer) -> int:
    rows = await fetch(
        "SELECT count(*) AS n FROM download_request WHERE \"user\" = {} AND state IN ('queued', 'preparing')",
        viewer.user_id,
    )
    return int(rows[0]["n"])


def too_many_message(settings: DownloadSettings) -> str:
    return _(
        "You already have %(count)s downloads being prepared. Wait until one of them is "
        "ready in “Downloads requested”, then confirm this one"
    ) % {"count": settings.max_in_progress}


async def confirm(viewer: Viewer, request_id: int, settings: Settings, queue: Queue) -> Outcome:
    """Turn the draft into a request and queue its zip. Marks no longer visible are dropped first; a second
    submit of the same draft changes nothing."""
    limits = settings.downloads
    async with db_engine().transaction():
        rows = await fetch(
            'SELECT state FROM download_request WHERE id = {} AND "user" = {} FOR UPDATE',
            request_id,
            viewer.user_id,
        )
        if not rows:
            return Outcome({"": _("This request no longer exists. Start again")})
        if rows[0]["state"] != DownloadState.draft:
            return Outcome()
        draft = await get_request(viewer, request_id)
        assert draft is not None
        sql, args = draft_selection(viewer, draft)
        await execute(
            "DELETE FROM download_request_bill WHERE request = {} AND bill NOT IN (SELECT b.id" + sql + ")",  # noqa: S608
            request_id,
            *args,
        )
        marked = await marked_summary(viewer, draft)
        if errors := check_limits_of_marks(marked, limits):
            return Outcome(errors)
        # Lock the user's row so that two confirms at once cannot both pass the limit.
        await execute("SELECT id FROM portal_user WHERE id = {} FOR UPDATE", viewer.user_id)
        if await in_progress_count(viewer) >= limits.max_in_progress:
            return Outcome({"": too_many_message(limits)})
        now = clock.now()
        await DownloadRequest.update(
            {
                DownloadRequest.state: DownloadState.queued,
                DownloadRequest.bill_count: marked.count,
                DownloadRequest.total_cents: marked.total_cents,
                DownloadRequest.done: 0,
                DownloadRequest.requested_at: now,
                DownloadRequest.updated_at: now,
            }
        ).where(DownloadRequest.id == request_id)
    queued = await enqueue_zip(queue, limits, request_id)
    log.info("download.requested", request_id=request_id, user_id=viewer.user_id, bills=marked.count)
    return Outcome(postponed=not queued)


async def try_again(viewer: Viewer, request_id: int, settings: Settings, queue: Queue) -> Outcome:
    """A failed request goes back to the queue (within the user's limit of requests in progress)."""
    async with db_engine().transaction():
        rows = await fetch(
            'SELECT state FROM download_request WHERE id = {} AND "user" = {} FOR UPDATE',
            request_id,
            viewer.user_id,
        )
        if not rows or rows[0]["state"] != DownloadState.failed:
            return Outcome()
        await execute("SELECT id FROM portal_user WHERE id = {} FOR UPDATE", viewer.user_id)
        if await in_progress_count(viewer) >= settings.downloads.max_in_progress:
            return Outcome({"": too_many_message(settings.downloads)})
        await DownloadRequest.update(
            {
                DownloadRequest.state: DownloadState.queued,
                DownloadRequest.done: 0,
                DownloadRequest.error: "",
                DownloadRequest.updated_at: clock.now(),
            }
        ).where(DownloadRequest.id == request_id)
    await enqueue_zip(queue, settings.downloads, request_id)
    return Outcome()
