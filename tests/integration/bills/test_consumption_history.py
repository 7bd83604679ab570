"""The bill PDF's consumption chart has one bar a period, also where corrective bills share a period with
the bill they correct."""

from typing import Any

from portal.bills.pdf import bill_document
from portal.bills.services import get_bill_for_job
from portal.db.tables import Bill
from portal.settings import Settings
from tests.integration.imports.import_steps import run
from tests.unit.imports.import_samples import ACCOUNT_RECORD, BILL, CREDIT_BILL, CUSTOMER, jsonl, record

SEPTEMBER = record(
    BILL,
    number="FA-2026/000091",
    period_start="2026-09-01",
    period_end="2026-09-30",
    issue_date="2026-10-03",
    due_date="2026-10-23",
    reading_previous=1500,
    reading_current=1520,
)
OCTOBER = BILL  # 1520 → 1532: 12 m³
CANCELLED = record(CREDIT_BILL, issue_date="2026-11-08", due_date="2026-11-08")  # October's, given back
REPLACEMENT = record(BILL, number="FA-2026/000104", issue_date="2026-11-09", reading_current=1530)  # 10 m³


async def chart(settings: Settings, number: str) -> list[tuple[str, int]]:
    """The bars of the bill's chart: (month, m³), oldest first."""
    bill_id = (await Bill.select(Bill.id).where(Bill.number == number).first())["id"]
    bill = await get_bill_for_job(bill_id)
    assert bill is not None
    history = (await bill_document(bill, settings.issuer)).history
    return [(point.label[:3], point.m3) for point in history]  # "Sep 26" or "Sept 26", as Babel writes it


async def test_a_period_with_corrective_bills_is_one_bar_of_the_bill_that_replaced_it(
    db: Any, settings: Settings
) -> None:
    records = [CUSTOMER, ACCOUNT_RECORD, SEPTEMBER, OCTOBER]
    assert (await run(jsonl(*records), settings)).rejections == []
    assert await chart(settings, OCTOBER["number"]) == [("Sep", 20), ("Oct", 12)]
    assert (await run(jsonl(CANCELLED), settings)).rejections == []
    # The credit bill gives October's money back: October's bar stays the bill that charged it.
    assert await chart(settings, CANCELLED["number"]) == [("Sep", 20), ("Oct", 12)]
    assert (await run(jsonl(REPLACEMENT), settings)).rejections == []
    for number in (CANCELLED["number"], REPLACEMENT["number"]):
        assert await chart(settings, number) == [("Sep", 20), ("Oct", 10)]
