"""The bills of a request as files: the Excel list of the marked bills (before confirming) and the zip's
index. Both write the columns of `portal.bills.exports`, as My bills' CSV does."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections.abc import AsyncIterator

import xlsxwriter

from portal import clock
from portal.bills.exports import ExportedBill, titles
from portal.bills.queries import EXPORTED_BILL
from portal.db import fetch
from portal.downloads.requests import Download
from portal.downloads.selection import marked_bills
from portal.i18n import gettext as _
from portal.viewer import Viewer

_WIDTHS = (16, 12, 36, 12, 12, 12, 12, 14, 14)
_PAGE = 1000


async def excel_list(viewer: Viewer, draft: Download) -> bytes:
    """The marked bills as an Excel workbook: real dates and amounts (numbers in euros with a currency
    format), not text. Built page by page in xlsxwriter's constant-memory mode."""
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False})
    sheet = workbook.add_worksheet(_("Bills"))
    bold = workbook.add_format({"bold": True})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    money = workbook.add_format({"num_format": '#,##0.00 "€"'})
    sheet.write_row(0, 0, titles(), bold)
    for column, width in enumerate(_WIDTHS):
        sheet.set_column(column, column, width)

    def write(bills: list[ExportedBill], first_row: int) -> None:
        for row_number, bill in enumerate(bills, start=first_row):
            for column, value in enumerate(bill.cells()):
                if isinstance(value, dt.date):
                    sheet.write_datetime(row_number, column, dt.datetime.combine(value, dt.time()), date)
                elif isinstance(value, float):
                    sheet.write_number(row_number, column, value, money)
                else:
                    sheet.write_string(row_number, column, value)

    # Writing rows and zipping the workbook are CPU work (and file I/O in constant-memory mode): in a
    # thread, so that the event loop keeps serving other requests meanwhile.
    offset = 0
    while True:
        bills = await marked_bills(viewer, draft, limit=_PAGE, offset=offset)
        await asyncio.to_thread(write, bills, 1 + offset)
        if len(bills) < _PAGE:
            break
        offset += _PAGE
    sheet.freeze_panes(1, 0)
    await asyncio.to_thread(workbook.close)
    return out.getvalue()


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
