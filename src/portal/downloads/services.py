"""Massive bills download: the request flow (a draft row: details → marked bills → check → confirm), the
list of requests ("Downloads requested") and their files, and the periodic sweep.

Every function takes the acting `Viewer`; requests are found by id *and* owner, bills through
account_access, so another user's request or bill is simply not found (the routes answer 404). The zip
itself is built by a job: `portal.downloads.archive`.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import structlog
import xlsxwriter
from saq import Queue
from saq.job import Status

from portal import clock
from portal.bills.services import STATUSES, effective_status
from portal.db import engine as db_engine
from portal.db.tables import DownloadRequest
from portal.db.tables.downloads import DownloadState
from portal.downloads import forms
from portal.downloads.forms import CheckedDetails, Details, Errors
from portal.infra.queue import Task
from portal.infra.storage import Storage
from portal.settings import DownloadSettings, Settings
from portal.web.months import TypedMonth
from portal.web.sessions import Viewer

log = structlog.get_logger("portal.downloads")

PAGE_SIZE = 50
CHECK_PAGE_SIZE = 100
DRAFT_LIFETIME = dt.timedelta(days=1)
IN_PROGRESS = (DownloadState.queued, DownloadState.preparing)
NO_BILLS = (
    "No bills found for this identity document or account number in this period. Check them and try again"
)


ZIP_TASK_NAME = "build_download"


def zip_task(settings: DownloadSettings) -> Task:
    """The job that builds a request's zip. Its heartbeat is kept alive by the progress reports, so a
    worker that dies is noticed within one heartbeat and the job is retried (with backoff) elsewhere."""
    return Task(
        name=ZIP_TASK_NAME,
        timeout=settings.timeout_seconds,
        retries=4,
        retry_delay=2.0,
        retry_backoff=60,
        heartbeat=settings.heartbeat_seconds,
    )


def job_key(request_id: int) -> str:
    return f"download:{request_id}"


def zip_key(request_id: int) -> str:
    return f"downloads/{request_id}.zip"


@dataclass
class Outcome:
    errors: Errors = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


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

    @property
    def in_progress(self) -> bool:
        return self.state in IN_PROGRESS

    @property
    def details(self) -> Details:
        return Details(
            self.name,
            self.period_preset,
            TypedMonth.from_iso(self.custom_from),
            TypedMonth.from_iso(self.custom_to),
            self.select_by,
            self.selector,
        )

    @property
    def period_label(self) -> str:
        return forms.PERIOD_PRESETS.get(self.period_preset, "")

    @property
    def size_label(self) -> str:
        if self.size_bytes >= 1_000_000:
            return f"{self.size_bytes / 1_000_000:.1f} MB"
        return f"{max(1, round(self.size_bytes / 1000))} kB"

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)


STATE_LABELS: dict[str, str] = {
    DownloadState.draft: "Not requested yet",
    DownloadState.queued: "Queued",
    DownloadState.preparing: "Preparing",
    DownloadState.ready: "Ready",
    DownloadState.failed: "Failed",
    DownloadState.expired: "Expired",
}


_DOWNLOAD_COLUMNS = (
    "id, state, name, file_name, period_preset, custom_from, custom_to, period_from, period_to, select_by,"
    " selector, bill_count, total_cents, done, size_bytes, error, created_at, requested_at, ready_at,"
    " expires_at"
)


def _download(row: dict[str, Any]) -> Download:
    return Download(**row)


async def get_request(viewer: Viewer, request_id: int) -> Download | None:
    rows = await DownloadRequest.raw(
        f'SELECT {_DOWNLOAD_COLUMNS} FROM download_request WHERE id = {{}} AND "user" = {{}}',  # noqa: S608
        request_id,
        viewer.user_id,
    )
    return _download(rows[0]) if rows else None


# --- the selection: bills of one holder or account, in a period, that the viewer may see ---------------

_SELECTION = (
    " FROM bill b JOIN account a ON a.id = b.account JOIN customer c ON c.id = a.customer"
    ' JOIN account_access x ON x.account = a.id AND x."user" = {}'
    " WHERE b.period_end >= {} AND b.period_start <= {}"
)


def _selection(viewer: Viewer, select_by: str, selector: str, start: Any, end: Any) -> tuple[str, list[Any]]:
    column = "a.number" if select_by == "account" else "c.identity_number"
    return _SELECTION + f" AND {column} = {{}}", [viewer.user_id, start, end, selector]


def _draft_selection(viewer: Viewer, draft: Download) -> tuple[str, list[Any]]:
    return _selection(viewer, draft.select_by, draft.selector, draft.period_from, draft.period_to)


async def _selection_count(viewer: Viewer, checked: CheckedDetails) -> int:
    sql, args = _selection(
        viewer, checked.select_by, checked.selector, checked.period_from, checked.period_to
    )
    rows = await DownloadRequest.raw("SELECT count(*) AS n" + sql, *args)
    return int(rows[0]["n"])


async def save_details(
    viewer: Viewer, request_id: int | None, answers: Details, today: dt.date | None = None
) -> tuple[int | None, Outcome]:
    """Check the first step's answers and keep them in the draft (a new one when `request_id` is None).
    A selection without bills, or of a holder or account the viewer may not see, gets one message that
    reveals nothing. Marks that fall outside a changed selection are dropped."""
    checked, errors = forms.check_details(answers, today or clock.today())
    if checked is None:
        return None, Outcome(errors)
    if not await _selection_count(viewer, checked):
        return None, Outcome({f"selector_{checked.select_by}": NO_BILLS})
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
        sql, args = _draft_selection(viewer, draft)
        await DownloadRequest.raw(
            "DELETE FROM download_request_bill WHERE request = {} AND bill NOT IN (SELECT b.id" + sql + ")",  # noqa: S608
            request_id,
            *args,
        )
    return request_id, Outcome()


@dataclass(frozen=True)
class SelectableBill:
    id: int
    number: str
    account_number: str
    holder: str
    period_start: dt.date
    period_end: dt.date
    issue_date: dt.date
    due_date: dt.date
    total_cents: int
    status: str
    marked: bool

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)


@dataclass(frozen=True)
class Marked:
    count: int
    total_cents: int


@dataclass(frozen=True)
class SelectionPage:
    bills: list[SelectableBill]
    page: int
    pages: int
    in_selection: int
    marked: Marked


_BILL_COLUMNS = (
    "SELECT b.id, b.number, a.number AS account_number, c.name AS holder, b.period_start, b.period_end,"
    " b.issue_date, b.due_date, b.total_cents, b.status"
)


def _bill(row: dict[str, Any], today: dt.date) -> SelectableBill:
    return SelectableBill(
        id=row["id"],
        number=row["number"],
        account_number=row["account_number"],
        holder=row["holder"],
        period_start=row["period_start"],
        period_end=row["period_end"],
        issue_date=row["issue_date"],
        due_date=row["due_date"],
        total_cents=row["total_cents"],
        status=effective_status(row["status"], row["due_date"], today),
        marked=bool(row.get("marked", True)),
    )


async def marked_summary(viewer: Viewer, draft: Download) -> Marked:
    """The marked bills that are still in the selection and visible: their count and total."""
    sql, args = _draft_selection(viewer, draft)
    rows = await DownloadRequest.raw(
        "SELECT count(*) AS n, COALESCE(sum(b.total_cents), 0)::bigint AS total"  # noqa: S608
        + sql
        + " AND b.id IN (SELECT bill FROM download_request_bill WHERE request = {})",
        *args,
        draft.id,
    )
    return Marked(int(rows[0]["n"]), int(rows[0]["total"]))


async def selection_page(viewer: Viewer, draft: Download, page: int = 1) -> SelectionPage:
    sql, args = _draft_selection(viewer, draft)
    count = await DownloadRequest.raw("SELECT count(*) AS n" + sql, *args)
    in_selection = int(count[0]["n"])
    pages = max(1, -(-in_selection // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = await DownloadRequest.raw(
        _BILL_COLUMNS  # noqa: S608
        + ", EXISTS (SELECT 1 FROM download_request_bill m WHERE m.request = {} AND m.bill = b.id) AS marked"
        + sql
        + f" ORDER BY b.period_start DESC, b.id DESC LIMIT {PAGE_SIZE} OFFSET {(page - 1) * PAGE_SIZE}",
        draft.id,
        *args,
    )
    today = clock.today()
    return SelectionPage(
        [_bill(row, today) for row in rows], page, pages, in_selection, await marked_summary(viewer, draft)
    )


async def update_marks(
    viewer: Viewer,
    draft: Download,
    action: str,
    shown: list[str],
    marked: list[str],
    max_bills: int | None = None,
) -> Errors:
    """Apply what the bills page sent: the boxes of the bills shown (ticked or not), then the action:
    "select_shown" marks every bill shown, "select_all" every bill of the selection (refused when the
    selection holds more than `max_bills`), "clear" unmarks all. Ids that are not bills of the selection
    are ignored."""
    sql, args = _draft_selection(viewer, draft)
    if action == "select_all" and max_bills is not None:
        count = await DownloadRequest.raw("SELECT count(*) AS n" + sql, *args)
        if int(count[0]["n"]) > max_bills:
            return {
                "bills": f"This selection has {int(count[0]['n']):,} bills: one request can hold at most "
                f"{max_bills:,}. Choose a shorter period, or mark bills page by page"
            }
    shown_ids = [int(value) for value in shown if value.isdigit()][: PAGE_SIZE * 2]
    ticked = {int(value) for value in marked if value.isdigit()}
    if action == "select_shown":
        ticked = set(shown_ids)
    async with db_engine().transaction():
        if action == "clear":
            await DownloadRequest.raw("DELETE FROM download_request_bill WHERE request = {}", draft.id)
            return {}
        if action == "select_all":
            await DownloadRequest.raw(
                "INSERT INTO download_request_bill (request, bill) SELECT {}, b.id"
                + sql
                + " ON CONFLICT (request, bill) DO NOTHING",
                draft.id,
                *args,
            )
            return {}
        if not shown_ids:
            return {}
        unticked = [bill_id for bill_id in shown_ids if bill_id not in ticked]
        if unticked:
            await DownloadRequest.raw(
                "DELETE FROM download_request_bill WHERE request = {} AND bill = ANY({}::int[])",
                draft.id,
                unticked,
            )
        to_mark = [bill_id for bill_id in shown_ids if bill_id in ticked]
        if to_mark:
            await DownloadRequest.raw(
                "INSERT INTO download_request_bill (request, bill) SELECT {}, b.id"
                + sql
                + " AND b.id = ANY({}::int[]) ON CONFLICT (request, bill) DO NOTHING",
                draft.id,
                *args,
                to_mark,
            )
    await DownloadRequest.update({DownloadRequest.updated_at: clock.now()}).where(
        DownloadRequest.id == draft.id
    )
    return {}


async def marked_bills(
    viewer: Viewer, draft: Download, limit: int | None = CHECK_PAGE_SIZE, offset: int = 0
) -> list[SelectableBill]:
    sql, args = _draft_selection(viewer, draft)
    rows = await DownloadRequest.raw(
        _BILL_COLUMNS  # noqa: S608
        + sql
        + " AND b.id IN (SELECT bill FROM download_request_bill WHERE request = {})"
        + " ORDER BY b.period_start DESC, b.id DESC"
        + (f" LIMIT {int(limit)} OFFSET {int(offset)}" if limit else ""),
        *args,
        draft.id,
    )
    today = clock.today()
    return [_bill(row, today) for row in rows]


def check_limits_of_marks(marked: Marked, settings: DownloadSettings) -> Errors:
    if marked.count == 0:
        return {"bills": "Mark at least one bill to download"}
    if marked.count > settings.max_bills:
        return {
            "bills": f"You have marked {marked.count:,} bills: one request can hold at most "
            f"{settings.max_bills:,}. Unmark some bills, or make two requests"
        }
    return {}


async def excel_list(viewer: Viewer, draft: Download) -> bytes:
    """The marked bills as an Excel workbook: real dates and amounts (numbers in euros with a currency
    format), not text. Built page by page in xlsxwriter's constant-memory mode."""
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False})
    sheet = workbook.add_worksheet("Bills")
    bold = workbook.add_format({"bold": True})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    money = workbook.add_format({"num_format": '#,##0.00 "€"'})
    headers = [
        "Bill number",
        "Account",
        "Holder",
        "Period start",
        "Period end",
        "Issue date",
        "Due date",
        "Amount (EUR)",
        "Status",
    ]
    sheet.write_row(0, 0, headers, bold)
    for column, width in enumerate((16, 12, 36, 12, 12, 12, 12, 14, 14)):
        sheet.set_column(column, column, width)
    row_number = 1
    offset = 0
    while True:
        bills = await marked_bills(viewer, draft, limit=1000, offset=offset)
        for bill in bills:
            sheet.write_string(row_number, 0, bill.number)
            sheet.write_string(row_number, 1, bill.account_number)
            sheet.write_string(row_number, 2, bill.holder)
            for column, day in enumerate(
                (bill.period_start, bill.period_end, bill.issue_date, bill.due_date)
            ):
                sheet.write_datetime(row_number, 3 + column, dt.datetime.combine(day, dt.time()), date)
            sheet.write_number(row_number, 7, bill.total_cents / 100, money)
            sheet.write_string(row_number, 8, bill.status_label)
            row_number += 1
        if len(bills) < 1000:
            break
        offset += 1000
    sheet.freeze_panes(1, 0)
    workbook.close()
    return out.getvalue()


async def in_progress_count(viewer: Viewer) -> int:
    rows = await DownloadRequest.raw(
        "SELECT count(*) AS n FROM download_request WHERE \"user\" = {} AND state IN ('queued', 'preparing')",
        viewer.user_id,
    )
    return int(rows[0]["n"])


def too_many_message(settings: DownloadSettings) -> str:
    return (
        f"You already have {settings.max_in_progress} downloads being prepared. Wait until one of them is "
        "ready in “Downloads requested”, then confirm this one"
    )


async def confirm(viewer: Viewer, request_id: int, settings: Settings, queue: Queue) -> Outcome:
    """Turn the draft into a request and queue its zip. Marks no longer visible are dropped first; a second
    submit of the same draft changes nothing."""
    limits = settings.downloads
    async with db_engine().transaction():
        rows = await DownloadRequest.raw(
            'SELECT state FROM download_request WHERE id = {} AND "user" = {} FOR UPDATE',
            request_id,
            viewer.user_id,
        )
        if not rows:
            return Outcome({"": "This request no longer exists. Start again"})
        if rows[0]["state"] != DownloadState.draft:
            return Outcome()
        draft = await get_request(viewer, request_id)
        assert draft is not None
        sql, args = _draft_selection(viewer, draft)
        await DownloadRequest.raw(
            "DELETE FROM download_request_bill WHERE request = {} AND bill NOT IN (SELECT b.id" + sql + ")",  # noqa: S608
            request_id,
            *args,
        )
        marked = await marked_summary(viewer, draft)
        if errors := check_limits_of_marks(marked, limits):
            return Outcome(errors)
        # Lock the user's row so that two confirms at once cannot both pass the limit.
        await DownloadRequest.raw("SELECT id FROM portal_user WHERE id = {} FOR UPDATE", viewer.user_id)
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
    await enqueue_zip(queue, limits, request_id)
    log.info("download.requested", request_id=request_id, user_id=viewer.user_id, bills=marked.count)
    return Outcome()


async def enqueue_zip(queue: Queue, settings: DownloadSettings, request_id: int) -> None:
    """One job per request (its key): asking again while it is queued or running adds nothing."""
    await zip_task(settings).enqueue(queue, key=job_key(request_id), request_id=request_id)


async def try_again(viewer: Viewer, request_id: int, settings: Settings, queue: Queue) -> Outcome:
    """A failed request goes back to the queue (within the user's limit of requests in progress)."""
    async with db_engine().transaction():
        rows = await DownloadRequest.raw(
            'SELECT state FROM download_request WHERE id = {} AND "user" = {} FOR UPDATE',
            request_id,
            viewer.user_id,
        )
        if not rows or rows[0]["state"] != DownloadState.failed:
            return Outcome()
        await DownloadRequest.raw("SELECT id FROM portal_user WHERE id = {} FOR UPDATE", viewer.user_id)
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


async def list_requests(viewer: Viewer, limit: int = 200) -> list[Download]:
    """Every request of the viewer but drafts, newest first."""
    rows = await DownloadRequest.raw(
        f"SELECT {_DOWNLOAD_COLUMNS} FROM download_request WHERE \"user\" = {{}} AND state <> 'draft'"  # noqa: S608
        f" ORDER BY created_at DESC, id DESC LIMIT {int(limit)}",
        viewer.user_id,
    )
    return [_download(row) for row in rows]


async def recent_downloads(viewer: Viewer) -> list[Download]:
    """The last 3 requests, for the Customer Service Area home."""
    return await list_requests(viewer, limit=3)


async def ready_file(viewer: Viewer, request_id: int, storage: Storage) -> tuple[str, str] | None:
    """(storage key, file name) of a ready request's zip, or None."""
    download = await get_request(viewer, request_id)
    if download is None or download.state != DownloadState.ready:
        return None
    key = zip_key(download.id)
    if not storage.exists(key):
        return None
    return key, download.file_name


def state_signature(downloads: list[Download]) -> str:
    """The states a page shows, as "id:state" pairs: the next poll sends it back to learn what changed."""
    return ",".join(f"{download.id}:{download.state}" for download in downloads)


def changes_since(downloads: list[Download], seen: str) -> str:
    """What to announce after a poll: the requests whose state changed since the signature `seen`."""
    before = dict(pair.partition(":")[::2] for pair in seen.split(",")[:500] if ":" in pair)
    messages = []
    for download in downloads:
        previous = before.get(str(download.id))
        if previous is None or previous == download.state:
            continue
        messages.append(f"{download.file_name}: {STATE_LABELS.get(download.state, download.state).lower()}.")
    return " ".join(messages)


def content_disposition(file_name: str) -> str:
    """An attachment header for a server-made name: plain when ASCII, RFC 5987 otherwise."""
    ascii_name = file_name.encode("ascii", "replace").decode().replace("?", "_")
    if ascii_name == file_name:
        return f'attachment; filename="{file_name}"'
    return f"attachment; filename=\"{ascii_name}\"; filename*=utf-8''{quote(file_name)}"


async def visible_holders(viewer: Viewer) -> list[dict[str, str]]:
    """The identity documents (and names) of the holders whose accounts the viewer may see."""
    rows = await DownloadRequest.raw(
        "SELECT DISTINCT c.identity_number AS identity, c.name FROM account_access x"
        ' JOIN account a ON a.id = x.account JOIN customer c ON c.id = a.customer WHERE x."user" = {}'
        " ORDER BY c.name",
        viewer.user_id,
    )
    return [dict(row) for row in rows]


# --- the periodic sweep --------------------------------------------------------------------------------


async def sweep(settings: Settings, storage: Storage, queue: Queue) -> dict[str, int]:
    """Every minute: delete the files of expired requests (then say so), re-enqueue queued requests whose
    job went missing, fail requests whose job ended without finishing them, forget stale drafts."""
    counts = {"expired": 0, "requeued": 0, "failed": 0, "drafts": 0}
    now = clock.now()
    due = await DownloadRequest.raw(
        "SELECT id FROM download_request WHERE state = 'ready' AND expires_at < {} ORDER BY id LIMIT 500", now
    )
    for row in due:
        storage.path(zip_key(row["id"])).unlink(missing_ok=True)  # the file first: never a dangling "ready"
        await DownloadRequest.raw(
            "UPDATE download_request SET state = 'expired', updated_at = {}"
            " WHERE id = {} AND state = 'ready'",
            now,
            row["id"],
        )
        counts["expired"] += 1
    quiet = dt.timedelta(seconds=max(60, settings.downloads.heartbeat_seconds * 2))
    stalled = await DownloadRequest.raw(
        "SELECT id, state FROM download_request WHERE state IN ('queued', 'preparing')"
        " AND updated_at < {} ORDER BY id LIMIT 500",
        now - quiet,
    )
    for row in stalled:
        job = await queue.job(job_key(row["id"]))
        alive = job is not None and job.status in {Status.NEW, Status.QUEUED, Status.ACTIVE, Status.ABORTING}
        if alive:
            continue
        if row["state"] == DownloadState.queued:
            await enqueue_zip(queue, settings.downloads, row["id"])
            counts["requeued"] += 1
        else:
            await mark_failed(row["id"], storage, "The preparation stopped before the file was complete")
            counts["failed"] += 1
    deleted = await DownloadRequest.raw(
        "DELETE FROM download_request WHERE state = 'draft' AND updated_at < {} RETURNING id",
        now - DRAFT_LIFETIME,
    )
    counts["drafts"] = len(deleted)
    return counts


async def mark_failed(request_id: int, storage: Storage, error: str) -> None:
    storage.path(f"downloads/.tmp-{request_id}.zip").unlink(missing_ok=True)
    await DownloadRequest.raw(
        "UPDATE download_request SET state = 'failed', error = {}, updated_at = {}"
        " WHERE id = {} AND state IN ('queued', 'preparing')",
        error[:500],
        clock.now(),
        request_id,
    )
    log.warning("download.failed", request_id=request_id, error=error[:200])
