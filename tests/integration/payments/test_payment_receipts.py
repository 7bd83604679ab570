"""After the notification: one receipt email through the outbox, the real worker and a real SMTP
server; the receipt PDF rendered by a job; the payment in the account's history."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from typing import Any

from pypdf import PdfReader

from portal import clock
from portal.db.tables import OutboxEmail, Payment
from tests.conftest import all_mail_sent, submit, wait_until
from tests.integration.payments.helpers import (
    ANA_BARCODE,
    MARIA_CENTS,
    check_page,
    notification,
    notify,
    start_payment,
)
from tests.pdf_checks import assert_archival_and_tagged
from tests.steps import ANA, sign_in


async def test_one_receipt_email_whatever_the_gateway_repeats(
    client: Any, worker: Any, mailbox: Any, demo: None
) -> None:
    order = await start_payment(client, await check_page(client), email="maria@example.com")
    form = notification(order, MARIA_CENTS)
    await asyncio.gather(notify(client, form), notify(client, form))
    await notify(client, form)
    [message] = await mailbox.wait_for(1)
    assert message["To"] == "maria@example.com"
    assert message["Subject"].startswith("Payment receipt: Bill FA00000000025")
    text = message.get_payload()[0].get_payload(decode=True).decode()
    assert order in text and "052029" in text and "454881******0004" in text
    # The issuer's name ends with a full stop of its own: no sentence ends with it ("S.A..").
    assert "your card payment to Aguas de Ejemplo, S.A. has been authorised by the bank." in text
    assert "S.A.." not in text
    assert f"http://127.0.0.1:8000/payments/{order}" in text
    assert await all_mail_sent() == 1  # one message (its dedupe key), sent: nothing else is on its way
    assert len(mailbox.messages) == 1


async def test_no_email_address_no_email(client: Any, worker: Any, mailbox: Any, demo: None) -> None:
    order = await start_payment(client, await check_page(client), email="")
    await notify(client, notification(order, MARIA_CENTS))
    # The receipt email is stored with the payment's result, before the notification is answered.
    assert await Payment.count().where(Payment.state == "authorised") == 1
    assert await OutboxEmail.count() == 0
    assert mailbox.messages == []
    assert "Receipt sent to" not in (await client.get(f"/payments/{order}")).text


async def test_the_receipt_pdf(client: Any, worker: Any, demo: None) -> None:
    order = await start_payment(client, await check_page(client))
    assert (await client.get(f"/payments/{order}/receipt.pdf")).status_code == 404  # not paid yet
    await notify(client, notification(order, MARIA_CENTS))

    async def receipt() -> Any:
        response = await client.get(f"/payments/{order}/receipt.pdf")
        if response.headers["content-type"] == "application/pdf":
            return response
        assert "Your PDF is being prepared" in response.text
        return None

    response = await wait_until(receipt, every=0.2)
    assert response.headers["cache-control"] == "no-store"
    assert f'filename="receipt-{order}.pdf"' in response.headers["content-disposition"]
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "PAYMENT RECEIPT" in text and order in text and "14,69" in text
    assert "García" not in text
    assert_archival_and_tagged(response.content)


async def test_the_payment_shows_in_the_accounts_history(client: Any, demo: None) -> None:
    await sign_in(client, ANA)
    response = await submit(client, "/pay/barcode", {"barcode": ANA_BARCODE})
    order = await start_payment(client, response.headers["location"], email="ana@example.com")
    await notify(client, notification(order, 1348))
    home = await client.get("/account")
    assert "Last payment" in home.text and "13,48" in home.text
    bills = await client.get("/bills")
    assert "FA00000001025" not in bills.text.split('id="pending-heading"')[1]
    view = await client.get(f"/payments/{order}")
    assert '<a href="/bills">Back to My bills</a>' in view.text  # signed in: back to the history
    assert "Pay another bill" not in view.text


async def test_purging_expired_drafts_keeps_the_payments(client: Any, demo: None) -> None:
    from portal.db.tables import PaymentDraft, PaymentNotification
    from portal.payments.checkout import purge_drafts

    order = await start_payment(client, await check_page(client))
    await notify(client, notification(order, MARIA_CENTS))
    await PaymentDraft.update({PaymentDraft.expires_at: clock.now() - dt.timedelta(seconds=1)}, force=True)
    await purge_drafts()
    assert await PaymentDraft.count() == 0
    row = await Payment.select(Payment.state, Payment.draft).where(Payment.order_id == order).first()
    assert row == {"state": "authorised", "draft": None}
    assert await PaymentNotification.count() == 1
    assert "Payment complete" in (await client.get(f"/payments/{order}")).text
