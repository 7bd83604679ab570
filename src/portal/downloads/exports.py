"""The bills of a request as files: the Excel list of the marked bills (before confirming) and the zip's
index. Both write the columns of `portal.bills.exports`, as My bills' CSV does."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from portal import clock
from portal.bills.exports import ExportedBill, excel_workbook
from portal.bills.queries import EXPORTED_BILL
from portal.db import fetch
from portal.downloads.requests import Download
from portal.downloads.selection import marked_bills
from portal.viewer import Viewer

_PAGE = 1000


async def excel_list(viewer: Viewer, draft: Download) -> bytes:
    """The marked bills as an Excel workbook (`portal.bills.exports.excel_workbook`)."""
    return await excel_workbook(_marked_pages(viewer, draft))


async def _marked_pages(viewer: Viewer, draft: Download) -> AsyncIterator[list[ExportedBill]]:
    offset = 0
    while bills := await marked_bills(viewer, draft, limit=_PAGE, offset=offset):
        yield bills
        if len(bills) < _PAGE:
            return
        offset += _PAGE


async def index_pages(request_id: int, today: dt.date | None = None) -> AsyncIterator[list[ExportedBill]]:
    """The bills of a request for the zip's index, a page at a time (keyset on the bill number)."""
    today = today or clock.today()
    after = ""
    while True:
        rows = await fetch(
            EXPORTED_BILL + " FROM download_request_bill m JOIN bill b ON b.id = m.bill"
            " JOIN account a ON a.id = b.account JOIN customer c ON c.id = a.customer"
            f" WHERE m.request = {{}} AND b.number > {{}} ORDER BY b.number LIMIT {_PAGE}",
            request_id,
            after,
        )
        if not rows:
            return
        yield [ExportedBill.from_row(row, today) for row in rows]
        after = rows[-1]["number"]
