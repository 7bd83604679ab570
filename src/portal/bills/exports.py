"""Lists of bills as files: My bills' ``bills.csv`` and ``bills.xlsx``, and a massive download's Excel
list and the ``index.csv``/``index.json`` in its zip. One set of columns, written the same way in each: the
status as a person reads it ("Overdue"), never the stored key. CSV and JSON are for programs (ISO dates,
a decimal point, comma-separated, no BOM: as documented); Excel is for people (real dates and amounts,
shown as the language writes them)."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import xlsxwriter

from portal import clock, i18n
from portal.bills import queries
from portal.bills.services import STATUSES, BillFilters, effective_status, filter_where
from portal.db import fetch
from portal.i18n import gettext as _
from portal.i18n import gettext_noop
from portal.viewer import Viewer

COLUMNS = (
    (gettext_noop("bill_number"), gettext_noop("Bill number")),
    (gettext_noop("account"), gettext_noop("Account")),
    (gettext_noop("holder"), gettext_noop("Holder")),
    (gettext_noop("period_start"), gettext_noop("Period start")),
    (gettext_noop("period_end"), gettext_noop("Period end")),
    (gettext_noop("issue_date"), gettext_noop("Issue date")),
    (gettext_noop("due_date"), gettext_noop("Due date")),
    (gettext_noop("amount_eur"), gettext_noop("Amount (EUR)")),
    (gettext_noop("status"), gettext_noop("Status")),
)
"""Every export's columns: the key names a CSV or JSON field, the title heads a spreadsheet's column.
A CSV's heading row is the keys in the reader's language (`numero_factura` in Spanish); JSON keeps
them as they are, for programs."""
FIELDS = tuple(key for key, _title in COLUMNS)
TEXT_FIELDS = frozenset({"bill_number", "account", "holder", "status"})
"""The fields that hold text; the others are dates and amounts, written for programs to read."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a CSV cell as a formula (OWASP, CSV injection)."""


def as_text_cell(text: str) -> str:
    """A CSV text cell that a spreadsheet shows and never runs: a holder's name comes from the customer,
    and ``=HYPERLINK(…)`` in it would run in the reader's spreadsheet. A single quote before a formula's
    first character makes the spreadsheet read the cell as text (OWASP's advice)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_heading() -> dict[str, str]:
    """A CSV's heading row, in the current language."""
    return {key: _(key) for key in FIELDS}


def titles() -> list[str]:
    """A spreadsheet's column titles, in the current language."""
    return [_(title) for _key, title in COLUMNS]


EXPORT_PAGE = 1000
"""Bills read per query: exports are written page by page, so memory stays flat however many there are."""


@dataclass(frozen=True)
class ExportedBill:
    id: int
    number: str
    account: str
    holder: str
    period_start: dt.date
    period_end: dt.date
    issue_date: dt.date
    due_date: dt.date
    total_cents: int
    status: str
    """The status key, overdue derived (see `effective_status`)."""

    @classmethod
    def from_row(cls, row: dict[str, Any], today: dt.date) -> ExportedBill:
        """A row of `queries.EXPORTED_BILL` (status as stored)."""
        return cls(
            id=row["id"],
            number=row["number"],
            account=row["account"],
            holder=row["holder"],
            period_start=row["period_start"],
            period_end=row["period_end"],
            issue_date=row["issue_date"],
            due_date=row["due_date"],
            total_cents=row["total_cents"],
            status=effective_status(row["status"], row["due_date"], today),
        )

    @property
    def status_label(self) -> str:
        return _(STATUSES.get(self.status, self.status))

    def record(self) -> dict[str, str]:
        """The bill as CSV and JSON write it: ISO dates, euros with two decimals, the status's label."""
        return dict(
            zip(
                FIELDS,
                (
                    self.number,
                    self.account,
                    self.holder,
                    self.period_start.isoformat(),
                    self.period_end.isoformat(),
                    self.issue_date.isoformat(),
                    self.due_date.isoformat(),
                    f"{self.total_cents / 100:.2f}",
                    self.status_label,
                ),
                strict=True,
            )
        )

    def csv_record(self) -> dict[str, str]:
        """`record` as a CSV writes it: the text cells made safe for spreadsheets (`as_text_cell`); dates
        and amounts as they are, so that programs still read them (an amount may start with a minus)."""
        return {
            key: as_text_cell(value) if key in TEXT_FIELDS else value for key, value in self.record().items()
        }

    def cells(self) -> tuple[str | dt.date | float, ...]:
        """The bill as a spreadsheet writes it, in `COLUMNS` order: real dates and amounts in euros."""
        return (
            self.number,
            self.account,
            self.holder,
            self.period_start,
            self.period_end,
            self.issue_date,
            self.due_date,
            self.total_cents / 100,
            self.status_label,
        )


async def my_bills_pages(
    viewer: Viewer, filters: BillFilters, today: dt.date | None = None
) -> AsyncIterator[list[ExportedBill]]:
    """Every bill of My bills that matches the filters, newest first, a page at a time (keyset)."""
    today = today or clock.today()
    where, args = filter_where(filters, today)
    after: list[Any] = []
    while True:
        keyset = ["(b.period_start, b.id) < ({}, {})"] if after else []
        rows = await fetch(
            queries.EXPORTED_BILL
            + queries.VISIBLE % int(viewer.user_id)
            + " JOIN account a ON a.id = b.account JOIN customer c ON c.id = a.customer"
            + "".join(f" {'WHERE' if n == 0 else 'AND'} {clause}" for n, clause in enumerate(where + keyset))
            + f" ORDER BY b.period_start DESC, b.id DESC LIMIT {EXPORT_PAGE}",
            *args,
            *after,
        )
        if not rows:
            return
        yield [ExportedBill.from_row(row, today) for row in rows]
        after = [rows[-1]["period_start"], rows[-1]["id"]]


async def csv_text(pages: AsyncIterator[list[ExportedBill]]) -> AsyncIterator[str]:
    """The bills as CSV with a header row, a page of text at a time."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS)
    writer.writerow(csv_heading())
    async for page in pages:
        writer.writerows(bill.csv_record() for bill in page)
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    if out.tell():  # no bills: the header alone
        yield out.getvalue()


_EXCEL_WIDTHS = (16, 12, 36, 12, 12, 12, 12, 14, 14)
EXCEL_DATE_FORMATS = {"es": "dd/mm/yyyy"}
"""How a spreadsheet shows its dates (they stay real dates): as Spain writes them in Spanish; in any other
language "5 Dec 2026" (`EXCEL_DATE_FORMAT`), which no reader can take for another day, whichever order
of day and month they are used to."""
EXCEL_DATE_FORMAT = "d mmm yyyy"


async def excel_workbook(pages: AsyncIterator[list[ExportedBill]]) -> bytes:
    """The bills as an Excel workbook in the current language (sheet name, column titles, statuses, date
    format): real dates and amounts (numbers in euros with a currency format), not text. Built page by
    page in xlsxwriter's constant-memory mode."""
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False})
    sheet = workbook.add_worksheet(_("Bills"))
    bold = workbook.add_format({"bold": True})
    date = workbook.add_format({"num_format": EXCEL_DATE_FORMATS.get(i18n.current(), EXCEL_DATE_FORMAT)})
    money = workbook.add_format({"num_format": '#,##0.00 "€"'})
    sheet.write_row(0, 0, titles(), bold)
    for column, width in enumerate(_EXCEL_WIDTHS):
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
    row = 1
    async for page in pages:
        await asyncio.to_thread(write, page, row)
        row += len(page)
    sheet.freeze_panes(1, 0)
    await asyncio.to_thread(workbook.close)
    return out.getvalue()
