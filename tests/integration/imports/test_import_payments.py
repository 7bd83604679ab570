"""Payments made elsewhere, as the billing system reports them, meet the portal's own: My bills, bills-due
documents and a card payment started before the bill was paid at the bank."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

from portal import clock
from portal.db.tables import Bill, PaymentDocument, User
from portal.payment_documents import payable
from portal.payment_documents import services as documents
from portal.settings import Settings
from portal.templating import format_day
from portal.viewer import Viewer
from tests.conftest import submit
from tests.integration.imports.import_steps import run
from tests.integration.payments.helpers import (
    ANA_BARCODE,
    ANA_CENTS,
    MARIA_CENTS,
    check_page,
    notification,
    notify,
    payment_row,
    start_payment,
)
from tests.steps import ANA, sign_in, submit_sign_in
from tests.unit.imports.import_samples import (
    ACCOUNT_RECORD,
    BILL,
    CREDIT_BILL,
    CUSTOMER,
    PAYMENT,
    ZERO_BILL,
    jsonl,
    record,
)

MARIA_BILL = "FA00000000025"
ANA_BILL = "FA00000001025"  # ANA_BARCODE's


def payment(
    bill: str, cents: int, channel: str = "bank_counter", at: str = "2026-11-15T10:42:00+01:00"
) -> bytes:
    return jsonl(
        record(PAYMENT, bill=bill, amount=f"{cents // 100}.{cents % 100:02d}", channel=channel, paid_at=at)
    )


async def test_a_payment_marks_the_bill_paid_with_its_channel_and_time(db: None, settings: Settings) -> None:
    result = await run(jsonl(CUSTOMER, ACCOUNT_RECORD, BILL, PAYMENT), settings)
    assert result.summary == "imported 1 bills, 1 customers, 1 accounts, 1 payments; skipped 0; rejected 0"
    bill = await Bill.select(Bill.status, Bill.paid_at, Bill.paid_channel).first()
    assert bill == {
        "status": "paid",
        "paid_at": dt.datetime(2026, 11, 15, 9, 42, tzinfo=dt.UTC),
        "paid_channel": "bank_counter",
    }


async def test_a_second_payment_is_a_no_op_with_a_warning(db: None, settings: Settings) -> None:
    await run(jsonl(CUSTOMER, ACCOUNT_RECORD, BILL, PAYMENT), settings)
    result = await run(payment(BILL["number"], 1508, "transfer", "2026-11-20T08:00:00Z"), settings)
    assert result.rejections == []
    assert result.warnings == [
        "line 1: bill FA-2026/000101 was already paid (bank_counter): this payment changes nothing"
    ]
    assert result.summary == "imported 0 bills, 0 customers, 0 accounts, 0 payments; skipped 1; rejected 0"
    bill = await Bill.select(Bill.paid_channel, Bill.paid_at).first()
    assert bill is not None and bill["paid_channel"] == "bank_counter"  # the first payment stands


async def test_a_payment_for_an_unknown_bill_or_with_the_wrong_amount(db: None, settings: Settings) -> None:
    await run(jsonl(CUSTOMER, ACCOUNT_RECORD, BILL), settings)
    result = await run(payment("FA-2026/999999", 1508) + jsonl(record(PAYMENT, amount="15.07")), settings)
    assert result.rejections == [
        "line 1: bill: no bill FA-2026/999999 in the portal or earlier in the file",
        "line 2: amount: 15.07 is not the bill's total (15.08)",
    ]
    assert await Bill.select(Bill.status).first() == {"status": "pending"}


async def test_a_payment_for_a_credit_bill_is_rejected(db: None, settings: Settings) -> None:
    """Nothing is to be paid: in the file that brings the bill, and in a later one (the stored bill)."""
    credit = record(PAYMENT, bill=CREDIT_BILL["number"], amount="-15.08")
    zero = record(PAYMENT, bill=ZERO_BILL["number"], amount="0.00")
    first = await run(jsonl(CUSTOMER, ACCOUNT_RECORD, CREDIT_BILL, ZERO_BILL, credit), settings)
    later = await run(jsonl(zero, credit), settings)
    reason = "bill: bill {} is a credit bill: there is nothing to pay"
    assert first.rejections == ["line 5: " + reason.format(CREDIT_BILL["number"])]
    assert later.rejections == [
        f"line {n}: " + reason.format(bill["number"]) for n, bill in ((1, ZERO_BILL), (2, CREDIT_BILL))
    ]
    assert (
        await Bill.select(Bill.status, Bill.paid_at, Bill.paid_channel).order_by(Bill.number)
        == [{"status": "credit", "paid_at": None, "paid_channel": ""}] * 2
    )


async def _ana_document() -> tuple[int, list[dict[str, Any]]]:
    """A bills-due document of all the pending bills of ana.demo's first account."""
    user = await User.select(User.id, User.email).where(User.username == "ana.demo").first()
    assert user is not None
    viewer = Viewer(user["id"], "ana.demo", "private", user["email"], 0, clock.now())
    [choice, *_] = [c for c in await documents.accounts_to_choose(viewer) if c.pending_count > 1]
    bills = await Bill.raw(
        "SELECT b.id, b.number, b.total_cents FROM bill b JOIN account a ON a.id = b.account"
        " WHERE a.number = {} AND b.status = 'pending' ORDER BY b.id",
        choice.number,
    )
    settings = Settings.from_env()
    document_id = await documents.create_document(
        viewer, choice.number, [b["id"] for b in bills], settings.issuer
    )
    return document_id, bills


async def test_a_bills_due_document_whose_bills_are_all_paid_elsewhere_shows_paid(
    demo: None, settings: Settings
) -> None:
    _, bills = await _ana_document()
    first, *rest = bills
    await run(payment(first["number"], first["total_cents"]), settings)
    reference = (await PaymentDocument.select(PaymentDocument.payment_reference).first() or {})[
        "payment_reference"
    ]
    document = await payable.document_by_reference(reference)
    assert document is not None and document.state == "superseded"  # one bill paid apart: not payable
    await run(
        b"".join(payment(bill["number"], bill["total_cents"], "direct_debit") for bill in rest), settings
    )
    document = await payable.document_by_reference(reference)
    assert document is not None and document.state == "paid"  # its code takes no money again


async def test_a_card_payment_for_a_bill_paid_meanwhile_at_the_bank_is_flagged_for_refund(
    client: Any, demo: None, settings: Settings
) -> None:
    order = await start_payment(client, await check_page(client))
    result = await run(payment(MARIA_BILL, MARIA_CENTS), settings)
    assert result.rejections == [] and result.outcome.counts.payments == 1
    await notify(client, notification(order, MARIA_CENTS))
    flagged = await payment_row(order)
    assert flagged["state"] == "authorised" and flagged["needs_refund"] is True
    bill = await Bill.select(Bill.paid_channel).where(Bill.number == MARIA_BILL).first()
    assert bill == {"paid_channel": "bank_counter"}  # not paid twice: the bank counter's payment stands
    page = await client.get(f"/payments/{order}")
    assert page.status_code == 200
    assert "Already paid: your payment will be refunded" in page.text
    assert "We will refund 14,69" in page.text
    assert "Payment complete" not in page.text and "Download the receipt" not in page.text
    stored = await Bill.raw("SELECT body_text FROM outbox_email WHERE template = 'payment_receipt'")
    assert "already been paid another way (for example at a bank counter" in json.dumps(stored)
    assert "We will refund this amount to your card." in json.dumps(stored)


async def test_a_bill_paid_at_the_bank_shows_paid_with_its_channel_in_my_bills_and_its_page(
    client: Any, demo: None, settings: Settings
) -> None:
    [bill] = await Bill.raw(
        "SELECT b.id, b.number, b.total_cents FROM bill b JOIN account_access x ON x.account = b.account"
        " JOIN portal_user u ON u.id = x.\"user\" WHERE u.username = 'ana.demo' AND b.status = 'pending'"
        " ORDER BY b.due_date LIMIT 1"
    )
    assert (await submit_sign_in(client, *ANA)).status_code == 303
    assert bill["number"] in (await client.get("/bills/?status=pending")).text
    await run(payment(bill["number"], bill["total_cents"], at="2026-11-20T16:05:00Z"), settings)
    page = await client.get(f"/bills/{bill['id']}")
    assert page.status_code == 200
    assert "<dt>Paid</dt><dd>20 Nov 2026, at a bank counter</dd>" in page.text
    assert "Online payment" not in page.text
    listed = await client.get("/bills/?status=pending")
    assert bill["number"] not in listed.text


def _account_card(home: str, number: str) -> str:
    return home.split(f'id="account-{number}"')[1].split("</section>")[0]


async def test_the_home_page_shows_the_last_payment_of_any_channel(
    client: Any, demo: None, settings: Settings
) -> None:
    bills = await Bill.raw(
        "SELECT b.id, b.number, b.total_cents FROM bill b JOIN account a ON a.id = b.account"
        " WHERE a.number = '0001000413' AND b.status = 'pending' ORDER BY b.number"
    )
    at_bank = next(bill for bill in bills if bill["number"] != ANA_BILL)
    an_hour_ago = clock.now() - dt.timedelta(hours=1)
    await run(payment(at_bank["number"], at_bank["total_cents"], at=an_hour_ago.isoformat()), settings)
    await sign_in(client, ANA)
    card = _account_card((await client.get("/account")).text, "0001000413")
    euros = f"{at_bank['total_cents'] // 100},{at_bank['total_cents'] % 100:02d}"
    day = format_day(an_hour_ago.astimezone(ZoneInfo(settings.locale.timezone)))
    assert "<dt>Last payment</dt>" in card
    assert f'<a href="/bills/{at_bank["id"]}">{euros}\xa0€ at a bank counter, {day}</a>' in card

    response = await submit(client, "/pay/barcode", {"barcode": ANA_BARCODE})
    order = await start_payment(client, response.headers["location"])
    await notify(client, notification(order, ANA_CENTS))
    card = _account_card((await client.get("/account")).text, "0001000413")
    today = format_day(clock.today())
    assert f'<a href="/payments/{order}">13,48\xa0€ by card, {today}</a>' in card
