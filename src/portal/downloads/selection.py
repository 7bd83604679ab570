"""The bills of a download request: those of one holder or account, in a period, that the viewer may see
(the selection), and which of them are marked for the zip."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal import clock
from portal.bills.exports import ExportedBill
from portal.bills.queries import EXPORTED_BILL
from portal.db import engine as db_engine
from portal.db import execute, fetch
from portal.db.tables import DownloadRequest
from portal.downloads import queries
from portal.downloads.forms import Details, Errors
from portal.downloads.requests import Download
from portal.i18n import gettext as _
from portal.settings import DownloadSettings
from portal.templating import format_number
from portal.viewer import Viewer
from portal.web.params import parse_id

PAGE_SIZE = 50
CHECK_PAGE_SIZE = 100


def _selection(viewer: Viewer, select_by: str, selector: str, start: Any, end: Any) -> tuple[str, list[Any]]:
    column = "a.number" if select_by == "account" else "c.identity_number"
    return queries.SELECTION + f" AND {column} = {{}}", [viewer.user_id, start, end, selector]


def draft_selection(viewer: Viewer, draft: Download) -> tuple[str, list[Any]]:
    return _selection(viewer, draft.select_by, draft.selector, draft.period_from, draft.period_to)


async def selection_count(viewer: Viewer, checked: Details) -> int:
    sql, args = _selection(
        viewer, checked.select_by, checked.selector, checked.period_from, checked.period_to
    )
    rows = await fetch("SELECT count(*) AS n" + sql, *args)
    return int(rows[0]["n"])


@dataclass(frozen=True)
class SelectableBill:
    """A bill of the selection as the bills page shows it: its columns, and whether it is marked."""

    bill: ExportedBill
    marked: bool


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


async def marked_summary(viewer: Viewer, draft: Download) -> Marked:
    """The marked bills that are still in the selection and visible: their count and total."""
    sql, args = draft_selection(viewer, draft)
    rows = await fetch(
        "SELECT count(*) AS n, COALESCE(sum(b.total_cents), 0)::bigint AS total"  # noqa: S608
        + sql
        + " AND b.id IN (SELECT bill FROM download_request_bill WHERE request = {})",
        *args,
        draft.id,
    )
    return Marked(int(rows[0]["n"]), int(rows[0]["total"]))


async def selection_page(viewer: Viewer, draft: Download, page: int = 1) -> SelectionPage:
    sql, args = draft_selection(viewer, draft)
    count = await fetch("SELECT count(*) AS n" + sql, *args)
    in_selection = int(count[0]["n"])
    pages = max(1, -(-in_selection // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = await fetch(
        EXPORTED_BILL  # noqa: S608
        + ", EXISTS (SELECT 1 FROM download_request_bill m WHERE m.request = {} AND m.bill = b.id) AS marked"
        + sql
        + f" ORDER BY b.period_start DESC, b.id DESC LIMIT {PAGE_SIZE} OFFSET {(page - 1) * PAGE_SIZE}",
        draft.id,
        *args,
    )
    today = clock.today()
    return SelectionPage(
        [SelectableBill(ExportedBill.from_row(row, today), row["marked"]) for row in rows],
        page,
        pages,
        in_selection,
        await marked_summary(viewer, draft),
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
    sql, args = draft_selection(viewer, draft)
    if action == "select_all" and max_bills is not None:
        count = await fetch("SELECT count(*) AS n" + sql, *args)
        if int(count[0]["n"]) > max_bills:
            return {
                "bills": _(
                    "This selection has %(count)s bills: one request can hold at most %(most)s. Choose a "
                    "shorter period, or mark bills page by page"
                )
                % {"count": format_number(int(count[0]["n"])), "most": format_number(max_bills)}
            }
    shown_ids = [bill_id for bill_id in map(parse_id, shown) if bill_id][: PAGE_SIZE * 2]
    ticked = {bill_id for bill_id in map(parse_id, marked) if bill_id}
    if action == "select_shown":
        ticked = set(shown_ids)
    async with db_engine().transaction():
        if action == "clear":
            await execute("DELETE FROM download_request_bill WHERE request = {}", draft.id)
            return {}
        if action == "select_all":
            await execute(
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
            await execute(
                "DELETE FROM download_request_bill WHERE request = {} AND bill = ANY({}::int[])",
                draft.id,
                unticked,
            )
        to_mark = [bill_id for bill_id in shown_ids if bill_id in ticked]
        if to_mark:
            await execute(
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
) -> list[ExportedBill]:
    sql, args = draft_selection(viewer, draft)
    rows = await fetch(
        EXPORTED_BILL  # noqa: S608
        + sql
        + " AND b.id IN (SELECT bill FROM download_request_bill WHERE request = {})"
        + " ORDER BY b.period_start DESC, b.id DESC"
        + (f" LIMIT {int(limit)} OFFSET {int(offset)}" if limit else ""),
        *args,
        draft.id,
    )
    today = clock.today()
    return [ExportedBill.from_row(row, today) for row in rows]


def check_limits_of_marks(marked: Marked, settings: DownloadSettings) -> Errors:
    if marked.count == 0:
        return {"bills": _("Mark at least one bill to download")}
    if marked.count > settings.max_bills:
        return {
            "bills": _(
                "You have marked %(count)s bills: one request can hold at most %(most)s. Unmark some bills, "
                "or make two requests"
            )
            % {"count": format_number(marked.count), "most": format_number(settings.max_bills)}
        }
    return {}
