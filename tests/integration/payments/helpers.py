"""Steps shared by the payment integration tests: the demo's codes, the journey as a browser takes it,
and signed notifications as the gateway would send them (redsys.build_notification is the gateway's
side of the protocol, outside the product)."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from portal import clock
from portal.banking.cuaderno57 import PaymentCode, deadline_identification
from portal.db.tables import Account, Bill, Payment, PaymentDocument, PaymentDocumentBill, User
from portal.db.tables.payment_documents import DocumentStatus
from portal.payments import redsys
from portal.settings import SANDBOX_GATEWAY_SECRET
from tests.conftest import submit

# README "Demo data": pending bills, still due.
MARIA_CODE = {
    "cpr": "9050794",
    "issuer": "58818501-001",
    "reference": "0000000002512",
    "identification": "000017",
    "amount": "14,69",
}
MARIA_CENTS = 1469
ANA_BARCODE = "9050758818501001000000010259700041300000013480"
ANA_CENTS = 1348


async def check_page(client: Any, code: dict[str, str] | None = None, form: str = "/pay/code") -> str:
    """Pay now with CPR code (or the barcode `form`) → the check page's path."""
    response = await submit(client, form, code or MARIA_CODE)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert re.fullmatch(r"/pay/[\w-]+/check", location)
    return str(location)


async def start_payment(client: Any, check: str, email: str = "payer@example.com") -> str:
    """ "Start payment" → the order id."""
    response = await submit(client, check, {"email": email})
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/payments/(\w{12})/bank", response.headers["location"])
    assert match is not None
    return match.group(1)


async def gateway_fields(client: Any, order: str) -> dict[str, str]:
    page = await client.get(f"/payments/{order}/bank")
    assert page.status_code == 200
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="(Ds_\w+)" value="([^"]*)">', page.text)
    }


def notification(
    order: str,
    amount_cents: int,
    response: str = "0000",
    *,
    secret: str = SANDBOX_GATEWAY_SECRET,
    currency: str = "978",
    card: str = "454881******0004",
    merchant_code: str = "999008881",
    terminal: str = "001",
) -> dict[str, str]:
    return redsys.build_notification(
        secret,
        {
            "Ds_Date": "28%2F11%2F2026",
            "Ds_Hour": "18%3A00",
            "Ds_SecurePayment": "1",
            "Ds_Card_Number": card,
            "Ds_Amount": str(amount_cents),
            "Ds_Currency": currency,
            "Ds_Order": order,
            "Ds_MerchantCode": merchant_code,
            "Ds_Terminal": terminal,
            "Ds_Response": response,
            "Ds_MerchantData": "",
            "Ds_TransactionType": "0",
            "Ds_AuthorisationCode": "052029" if response == "0000" else "",
        },
    )


async def notify(client: Any, form: dict[str, str]) -> Any:
    """POSTed as the gateway does: no cookie, no CSRF token."""
    response = await client.post("/payments/notification", data=form)
    assert response.status_code == 200
    assert response.text == "OK"
    return response


async def bill_status(number: str) -> str:
    row = await Bill.select(Bill.status).where(Bill.number == number).first()
    assert row is not None
    return str(row["status"])


async def payment_row(order: str) -> dict[str, Any]:
    row = await Payment.select().where(Payment.order_id == order).first()
    assert row is not None
    return row


async def make_document(account_number: str, deadline: dt.date, bills: int = 2) -> PaymentCode:
    """A bills-due document made as the payment documents service makes them."""
    account = await Account.select(Account.id).where(Account.number == account_number).first()
    pending = (
        await Bill.select().where((Bill.account == account["id"]) & (Bill.status == "pending")).limit(bills)
    )
    user = await User.select(User.id).first()
    total = sum(bill["total_cents"] for bill in pending)
    identification = deadline_identification(deadline)
    [row] = await PaymentDocument.insert(
        PaymentDocument(
            account=account["id"],
            created_by=user["id"],
            deadline=deadline,
            total_cents=total,
            status=DocumentStatus.pending,
            payment_suffix="501",
            payment_identification=identification,
            created_at=clock.now(),
        )
    ).returning(PaymentDocument.id)
    code = PaymentCode.build("58818501", "501", f"{row['id']:011d}", identification, total)
    await PaymentDocument.update({PaymentDocument.payment_reference: code.reference}).where(
        PaymentDocument.id == row["id"]
    )
    await PaymentDocumentBill.insert(
        *(
            PaymentDocumentBill(document=row["id"], bill=bill["id"], amount_cents=bill["total_cents"])
            for bill in pending
        )
    )
    return code
