"""The gateway's notification: only a signed one for a known order and its amount marks anything paid,
once; everything else changes nothing and is logged."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import html
import json
from typing import Any

import pytest

from jobs.housekeeping import purge_expired
from portal import clock
from portal.db.tables import Bill, OutboxEmail, PaymentDocument, PaymentDocumentBill, PaymentNotification
from portal.payments import redsys
from portal.settings import SANDBOX_GATEWAY_SECRET
from tests.conftest import browser, other_transaction
from tests.integration.payments.helpers import (
    MARIA_CENTS,
    bill_status,
    check_page,
    gateway_fields,
    make_document,
    notification,
    notify,
    payment_row,
    start_payment,
)

MARIA_BILL = "FA00000000025"


async def _order(client: Any) -> str:
    return await start_payment(client, await check_page(client))


async def _outcomes() -> list[str]:
    rows = await PaymentNotification.select(PaymentNotification.outcome).order_by(PaymentNotification.id)
    return [row["outcome"] for row in rows]


async def test_the_gateway_gets_a_signed_request_for_the_server_side_amount(client: Any, demo: None) -> None:
    order = await _order(client)
    fields = await gateway_fields(client, order)
    params = redsys.parse_request(SANDBOX_GATEWAY_SECRET, fields)
    assert params["DS_MERCHANT_AMOUNT"] == str(MARIA_CENTS)
    assert params["DS_MERCHANT_ORDER"] == order
    assert params["DS_MERCHANT_CURRENCY"] == "978"
    assert params["DS_MERCHANT_MERCHANTURL"] == "http://127.0.0.1:8000/payments/notification"
    assert (
        params["DS_MERCHANT_URLOK"]
        == params["DS_MERCHANT_URLKO"]
        == f"http://127.0.0.1:8000/payments/{order}"
    )
    page = await client.get(f"/payments/{order}/bank")
    assert 'action="http://127.0.0.1:8001/sis/realizarPago"' in page.text
    assert "Go to the bank to pay" in page.text
    assert "form-action 'self' http://127.0.0.1:8001" in page.headers["content-security-policy"]


async def test_authorised_marks_the_bill_paid_once_and_stores_one_email(client: Any, demo: None) -> None:
    order = await _order(client)
    assert await bill_status(MARIA_BILL) == "pending"
    # The browser's return shows pending and changes nothing.
    result = await client.get(f"/payments/{order}")
    assert "Waiting for the bank" in result.text and "Check again" in result.text
    assert await bill_status(MARIA_BILL) == "pending"

    form = notification(order, MARIA_CENTS)
    await notify(client, form)
    await notify(client, form)  # the gateway retries
    assert await bill_status(MARIA_BILL) == "paid"
    row = await payment_row(order)
    assert row["state"] == "authorised"
    assert row["authorisation_code"] == "052029"
    assert row["card_masked"] == "454881******0004"
    assert row["response_code"] == 0
    assert await OutboxEmail.count().where(OutboxEmail.dedupe_key == f"payment-receipt:{row['id']}") == 1
    assert await _outcomes() == ["authorised", "duplicate"]

    receipt = await client.get(f"/payments/{order}")
    assert "Payment complete" in receipt.text and "454881******0004" in receipt.text
    status = await client.get(f"/payments/{order}/status")
    assert status.status_code == 286
    assert 'hx-swap-oob="innerHTML:#live-status"' in status.text
    assert "<title>Payment complete – Customer Service Area – Aguas de Ejemplo, S.A.</title>" in status.text


async def test_declined_leaves_the_bill_pending_and_a_later_try_opens_a_new_order(
    client: Any, demo: None
) -> None:
    check = await check_page(client)
    order = await start_payment(client, check)
    await notify(client, notification(order, MARIA_CENTS, "0190"))
    assert (await payment_row(order))["state"] == "declined"
    assert await bill_status(MARIA_BILL) == "pending"
    page = await client.get(f"/payments/{order}")
    assert "Your payment was not accepted" in page.text
    assert f'href="{check}"' in page.text  # "Try again"
    again = await start_payment(client, check)
    assert again != order
    await notify(client, notification(again, MARIA_CENTS))
    assert await bill_status(MARIA_BILL) == "paid"
    assert await _outcomes() == ["declined", "authorised"]


async def test_an_authorisation_after_a_decline_of_the_same_order_is_money_taken(
    client: Any, demo: None
) -> None:
    """The payer tried another card on the bank's page after a decline: the bill is paid by it, and a
    second authorisation of the same bill (another order) is flagged for refund, never dropped."""
    check = await check_page(client)
    order = await start_payment(client, check)
    await notify(client, notification(order, MARIA_CENTS, "0190"))
    await notify(client, notification(order, MARIA_CENTS))
    assert (await payment_row(order))["state"] == "authorised"
    assert await bill_status(MARIA_BILL) == "paid"
    assert "Payment complete" in (await client.get(f"/payments/{order}")).text
    # A decline after it undoes nothing.
    await notify(client, notification(order, MARIA_CENTS, "0190"))
    assert (await payment_row(order))["state"] == "authorised"
    assert await _outcomes() == ["declined", "authorised", "conflicting"]


async def test_a_cancellation_at_the_bank_is_not_called_a_decline(client: Any, demo: None) -> None:
    check = await check_page(client)
    order = await start_payment(client, check)
    await notify(client, notification(order, MARIA_CENTS, "9915"))  # the payer pressed "Cancel"
    assert await bill_status(MARIA_BILL) == "pending"
    for path in (f"/payments/{order}", f"/payments/{order}/status"):
        page = (await client.get(path)).text
        assert "You cancelled the payment. Nothing was charged" in page, path
        assert "declined" not in page, path
        assert f'href="{check}"' in page and "Try again" in page  # the same bill, again


async def test_bad_signature_unknown_order_and_wrong_amount_change_nothing(client: Any, demo: None) -> None:
    order = await _order(client)
    forged = notification(order, MARIA_CENTS, secret="Mk9m98IfEblmPfrpsawt7BmxObt98Jev")  # another key
    await notify(client, forged)
    tampered = dict(notification(order, MARIA_CENTS))
    tampered["Ds_Signature"] = notification(order, MARIA_CENTS, "0190")["Ds_Signature"]
    await notify(client, tampered)
    await notify(client, notification("9999ZZZZZZZZ", MARIA_CENTS))
    await notify(client, notification(order, MARIA_CENTS - 1))
    await notify(client, notification(order, MARIA_CENTS, currency="840"))
    await notify(client, {"Ds_SignatureVersion": "HMAC_SHA256_V1", "Ds_MerchantParameters": "%%%"})
    assert await bill_status(MARIA_BILL) == "pending"
    assert (await payment_row(order))["state"] == "open"
    assert await _outcomes() == [
        "bad_signature",
        "bad_signature",
        "unknown_order",
        "amount_mismatch",
        "amount_mismatch",
        "malformed",
    ]
    # …and the real one still works afterwards.
    await notify(client, notification(order, MARIA_CENTS))
    assert await bill_status(MARIA_BILL) == "paid"


async def test_notifications_that_named_no_payment_go_after_30_days_a_payments_own_stay(
    client: Any, demo: None
) -> None:
    """The hourly clean-up deletes the rows of forged, unreadable and unknown-order notifications once 30
    days old; every row of a payment (applied or not) is its audit trail and stays."""
    order = await _order(client)
    await notify(client, notification(order, MARIA_CENTS, secret="Mk9m98IfEblmPfrpsawt7BmxObt98Jev"))
    await notify(client, {"Ds_SignatureVersion": "HMAC_SHA256_V1", "Ds_MerchantParameters": "%%%"})
    await notify(client, notification("9999ZZZZZZZZ", MARIA_CENTS))
    await notify(client, notification(order, MARIA_CENTS - 1))
    await notify(client, notification(order, MARIA_CENTS, terminal="002"))
    await notify(client, notification(order, MARIA_CENTS, "0190"))
    await notify(client, notification(order, MARIA_CENTS))
    await notify(client, notification(order, MARIA_CENTS))
    await notify(client, notification(order, MARIA_CENTS, "0190"))
    received = clock.now()
    with clock.frozen_at(received + dt.timedelta(days=20)):
        await notify(client, notification("9999YYYYYYYY", MARIA_CENTS))  # newer: kept another 20 days
    everything = await _outcomes()
    payments_own = [
        "amount_mismatch",
        "merchant_mismatch",
        "declined",
        "authorised",
        "duplicate",
        "conflicting",
    ]
    assert everything == ["bad_signature", "malformed", "unknown_order", *payments_own, "unknown_order"]

    with clock.frozen_at(received + dt.timedelta(days=30)):  # 30 days old: still kept
        await purge_expired({})
    assert await _outcomes() == everything
    with clock.frozen_at(received + dt.timedelta(days=30, seconds=1)):
        await purge_expired({})
    assert await _outcomes() == [*payments_own, "unknown_order"]
    with clock.frozen_at(received + dt.timedelta(days=50, seconds=1)):
        await purge_expired({})
    assert await _outcomes() == payments_own
    payment = (await payment_row(order))["id"]
    assert await PaymentNotification.count().where(PaymentNotification.payment == payment) == len(
        payments_own
    )


async def test_another_merchant_or_terminal_changes_nothing(client: Any, demo: None) -> None:
    """Signed with our key, for our order number and amount, but made on another of the merchant's
    terminals (or another merchant): not this payment."""
    order = await _order(client)
    await notify(client, notification(order, MARIA_CENTS, merchant_code="999008882"))
    await notify(client, notification(order, MARIA_CENTS, terminal="002"))
    assert await bill_status(MARIA_BILL) == "pending"
    assert (await payment_row(order))["state"] == "open"
    assert await _outcomes() == ["merchant_mismatch", "merchant_mismatch"]
    # Our terminal however Redsys pads it ("1", "001") is ours.
    await notify(client, notification(order, MARIA_CENTS, terminal="1"))
    assert await bill_status(MARIA_BILL) == "paid"


async def test_what_an_unsigned_notification_says_is_logged_bounded(
    client: Any, demo: None, caplog: pytest.LogCaptureFixture
) -> None:
    """Anyone may post to the notification address: a huge version or field name is not logged whole."""
    huge = "x" * 100_000
    await notify(client, {"Ds_SignatureVersion": huge, "Ds_MerchantParameters": "", "Ds_Signature": ""})
    parameters = base64.b64encode(json.dumps({huge: "1", huge.upper(): "2"}).encode()).decode()
    await notify(
        client, {"Ds_SignatureVersion": redsys.SIGNATURE_VERSION, "Ds_MerchantParameters": parameters}
    )
    lines = [r.getMessage() for r in caplog.records if "payment.notification" in r.getMessage()]
    assert len(lines) == 2
    assert all("xxxxxxxxxx" in line.lower() and len(line) < 2_000 for line in lines)
    assert await _outcomes() == ["bad_signature", "malformed"]


async def test_an_order_id_is_matched_whole(client: Any, demo: None) -> None:
    """A correctly signed notification for a longer or shorter order id is no notification for this one."""
    order = await _order(client)
    for other in (order + "9", order[:-1], order + "\x00"):
        await notify(client, notification(other, MARIA_CENTS))
    assert await bill_status(MARIA_BILL) == "pending"
    assert (await payment_row(order))["state"] == "open"
    assert await _outcomes() == ["malformed", "unknown_order", "malformed"]


async def test_two_notifications_at_once_pay_once(client: Any, demo: None) -> None:
    order = await _order(client)
    form = notification(order, MARIA_CENTS)
    await asyncio.gather(*(notify(client, form) for _ in range(4)))
    assert sorted(await _outcomes()) == ["authorised", "duplicate", "duplicate", "duplicate"]
    row = await payment_row(order)
    assert await OutboxEmail.count().where(OutboxEmail.dedupe_key == f"payment-receipt:{row['id']}") == 1


async def test_a_late_authorisation_of_an_abandoned_order_still_pays_and_a_second_is_flagged(
    client: Any, demo: None, app: Any
) -> None:
    """Another browser starts paying the same bill: the first order is abandoned, not forgotten."""
    first = await _order(client)
    async with browser(app, "198.51.100.7") as other:
        second = await start_payment(other, await check_page(other))
    assert second != first
    assert (await payment_row(first))["state"] == "abandoned"
    await notify(client, notification(first, MARIA_CENTS))
    assert await bill_status(MARIA_BILL) == "paid"
    await notify(client, notification(second, MARIA_CENTS))
    flagged = await payment_row(second)
    assert flagged["state"] == "authorised" and flagged["needs_refund"] is True
    assert await _outcomes() == ["authorised", "authorised_already_paid"]
    paid = await Bill.select(Bill.paid_at).where(Bill.number == MARIA_BILL).first()
    assert paid is not None and paid["paid_at"] is not None


async def test_no_way_to_the_bank_once_the_bill_was_paid_some_other_way(client: Any, demo: None) -> None:
    """E.g. paid at a bank counter while this payment was open: the gateway form is not offered."""
    order = await _order(client)
    await Bill.update({Bill.status: "paid"}).where(Bill.number == MARIA_BILL)
    page = await client.get(f"/payments/{order}/bank")
    assert page.status_code == 422
    assert "This bill is already paid" in page.text
    assert "Ds_MerchantParameters" not in page.text
    assert page.headers["cache-control"] == "no-store"


async def test_a_replaced_order_and_its_refunded_successor_say_what_happened_on_the_page_and_in_the_email(
    client: Any, demo: None, app: Any
) -> None:
    """The first browser's order is replaced by another browser's (nothing was declined); the bank takes
    both, so the second is refunded because another card payment, not a bank counter, paid the bill."""
    first = await _order(client)
    async with browser(app, "198.51.100.7") as other:
        second = await start_payment(other, await check_page(other))
        replaced = (await client.get(f"/payments/{first}")).text
        assert "This payment was replaced by a newer one" in replaced
        assert "declined" not in replaced
        await notify(client, notification(first, MARIA_CENTS))
        await notify(client, notification(second, MARIA_CENTS))
        refund = html.unescape((await other.get(f"/payments/{second}")).text)
    assert "Already paid: your payment will be refunded" in refund
    assert "already been paid by another card payment" in refund
    assert "bank counter" not in refund and "direct debit" not in refund
    # The receipt email gives the same reason as the page.
    email = (
        await OutboxEmail.select(OutboxEmail.body_text, OutboxEmail.body_html)
        .where(OutboxEmail.dedupe_key == f"payment-receipt:{(await payment_row(second))['id']}")
        .first()
    )
    assert email is not None
    for body in email["body_text"], html.unescape(email["body_html"]):
        assert "It had already been paid by another card payment before this one reached us." in body
        assert "We will refund this amount to your card." in body
        assert "bank counter" not in body and "direct debit" not in body


async def test_a_documents_bill_paid_elsewhere_while_its_authorisation_is_applied_flags_a_refund(
    client: Any, demo: None
) -> None:
    """The billing import records a bank-counter payment of one of the document's bills in the very moment
    the document's authorisation is applied: the document is not marked paid over it (that bill would be
    paid twice, and nobody told to refund); the payment is flagged for refund, as when it came first."""
    code = await make_document("0001000413", clock.today() + dt.timedelta(days=10))
    order = await start_payment(
        client, await check_page(client, {"barcode": code.barcode_digits}, "/pay/barcode")
    )
    document = (
        await PaymentDocument.select().where(PaymentDocument.payment_reference == code.reference).first()
    )
    first_bill = (
        await PaymentDocumentBill.select(PaymentDocumentBill.bill)
        .where(PaymentDocumentBill.document == document["id"])
        .first()
    )["bill"]
    async with other_transaction() as importer:
        await importer.execute(
            "UPDATE bill SET status = 'paid', paid_at = $1, paid_channel = 'bank_counter' WHERE id = $2",
            clock.now(),
            first_bill,
        )
        applying = asyncio.create_task(notify(client, notification(order, code.amount_cents)))
        await importer.blocks_another()  # on the bill
    await applying
    row = await payment_row(order)
    assert row["state"] == "authorised" and row["needs_refund"] is True
    assert await _outcomes() == ["authorised_already_paid"]
    assert (await PaymentDocument.select().where(PaymentDocument.id == document["id"]).first())[
        "status"
    ] != "paid"
    paid = await Bill.select(Bill.paid_channel).where(Bill.id == first_bill).first()
    assert paid["paid_channel"] == "bank_counter"


@pytest.mark.parametrize("kind", ["bill", "document"])
async def test_a_notification_and_another_browsers_start_at_once_do_not_deadlock(
    client: Any, demo: None, kind: str
) -> None:
    """ "Start payment" locks the bill (or document), then its open payment; the notification takes them
    in the same order, so neither waits for the other in a cycle (PostgreSQL would abort one: the bank's
    notification answered 500, or the payer's page)."""
    if kind == "bill":
        order, cents = await _order(client), MARIA_CENTS
        table, target = "bill", (await Bill.select(Bill.id).where(Bill.number == MARIA_BILL).first())["id"]
    else:
        code = await make_document("0001000413", clock.today() + dt.timedelta(days=10))
        order = await start_payment(
            client, await check_page(client, {"barcode": code.barcode_digits}, "/pay/barcode")
        )
        cents, table = code.amount_cents, "payment_document"
        target = (await payment_row(order))["document"]
    async with other_transaction() as starter:
        # As another browser's "Start payment" does (checkout._start_payment): what it pays first…
        await starter.execute(f"SELECT id FROM {table} WHERE id = $1 FOR UPDATE", target)
        applying = asyncio.create_task(notify(client, notification(order, cents)))
        await starter.blocks_another()
        # …then its open payment, which the notification must not be holding meanwhile.
        await starter.execute("SET LOCAL lock_timeout = '5s'")
        await starter.execute("SELECT id FROM payment WHERE order_id = $1 FOR UPDATE", order)
    await applying
    assert (await payment_row(order))["state"] == "authorised"
    assert await _outcomes() == ["authorised"]
