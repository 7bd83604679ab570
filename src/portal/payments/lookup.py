"""What a payer's code stands for: the bill or bills-due document it pays, if it can be paid now, and
otherwise which field is wrong and why. Anyone with a bill's code may pay it, as at a bank counter:
nothing here shows who holds the account."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import structlog

from portal import clock
from portal.banking.cuaderno57 import PaymentCode, PaymentCodeError
from portal.bills import services as bills
from portal.db import fetch, fetch_one
from portal.db.tables import PaymentDocument
from portal.db.tables.payments import PaymentKind
from portal.i18n import gettext as _
from portal.i18n import gettext_noop
from portal.payment_documents.payable import document_by_reference
from portal.payments import queries
from portal.payments.forms import CHECK_DETAILS, Code, Errors
from portal.settings import Settings
from portal.templating import format_day
from portal.viewer import Viewer
from portal.web.throttle import Throttle, count_attempt

log = structlog.get_logger("portal.payments")

# Failed look-ups. From one address, 20 in 10 minutes make the next failures answer "Too many attempts"
# while right codes still go through (an office behind one address, with one mistyping visitor); 100 in
# an hour stop every look-up. Per typed reference, 10 in an hour stop look-ups of that reference (its
# identification and amount being guessed from many addresses), except by its holder, signed in.
LOOKUP_PER_IP = Throttle("paylookup:ip", 20, dt.timedelta(minutes=10), per_address=True)
LOOKUP_PER_IP_CLOSED = Throttle("paylookup:ip", 100, dt.timedelta(hours=1), per_address=True)
LOOKUP_PER_REFERENCE = Throttle("paylookup:reference", 10, dt.timedelta(hours=1))
TOO_MANY = gettext_noop("Too many attempts. Try again later, or call us on %(phone)s")
NOT_FOUND = gettext_noop("We could not find a pending bill with these details")


@dataclass(frozen=True)
class Target:
    """A bill or a bills-due document, as the payment journey shows it: no holder data."""

    kind: str
    id: int
    account_id: int
    reference: str
    identification: str
    suffix: str
    amount_cents: int
    state: str
    """payable, paid, direct_debit, credit (a bill with nothing to pay), expired or superseded."""
    bill_number: str = ""
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    due_date: dt.date | None = None
    deadline: dt.date | None = None
    bill_count: int = 1

    @property
    def description(self) -> str:
        if self.kind == PaymentKind.bill:
            return _("Bill %(number)s") % {"number": self.bill_number}
        return _("Bills due document %(reference)s") % {"reference": self.reference}


def _bill_target(row: dict[str, Any]) -> Target:
    state = {"pending": "payable", "paid": "paid", "direct_debit": "direct_debit", "credit": "credit"}.get(
        row["status"], "paid"
    )
    return Target(
        kind=PaymentKind.bill,
        id=row["id"],
        account_id=row["account"],
        reference=row["payment_reference"],
        identification=row["payment_identification"],
        suffix=row["payment_suffix"],
        amount_cents=row["total_cents"],
        state=state,
        bill_number=row["number"],
        period_start=row["period_start"],
        period_end=row["period_end"],
        due_date=row["due_date"],
    )


async def _document_target(reference: str, suffix: str, today: dt.date) -> Target | None:
    document = await document_by_reference(reference, today)
    if document is None:
        return None
    return Target(
        kind=PaymentKind.document,
        id=document.id,
        account_id=document.account_id,
        reference=document.reference,
        identification=document.identification,
        suffix=suffix,
        amount_cents=document.total_cents,
        state="payable" if document.state == "pending" else document.state,
        deadline=document.deadline,
        bill_count=len(document.bill_ids),
    )


async def _target_by_reference(code: Code, settings: Settings, today: dt.date) -> Target | None:
    if code.suffix == settings.issuer.document_suffix:
        return await _document_target(code.reference, code.suffix, today)
    row = await fetch_one(
        queries.BILL + " WHERE b.payment_reference = {} AND b.payment_suffix = {}",
        *(
            code.reference,
            code.suffix,
        ),
    )
    return _bill_target(row) if row else None


async def load_target(kind: str, target_id: int, settings: Settings, today: dt.date | None = None) -> Target:
    """The bill or document as it is now (its amount and state are read again at every step)."""
    today = today or clock.today()
    if kind == PaymentKind.bill:
        rows = await fetch(queries.BILL + " WHERE b.id = {}", target_id)
        return _bill_target(rows[0])
    document = (
        await PaymentDocument.select(PaymentDocument.payment_reference, PaymentDocument.payment_suffix)
        .where(PaymentDocument.id == target_id)
        .first()
    )
    assert document is not None
    target = await _document_target(document["payment_reference"], document["payment_suffix"], today)
    assert target is not None
    return target


def state_problem(target: Target) -> str | None:
    """Why this bill or document cannot be paid online now, in words the payer can act on."""
    if target.state == "payable":
        return None
    if target.state == "paid":
        if target.kind == PaymentKind.bill:
            return _("This bill is already paid: there is nothing to pay")
        return _("This bills due document is already paid: there is nothing to pay")
    if target.state == "credit":
        return _("This bill is a credit bill: there is nothing to pay")
    if target.state == "direct_debit":
        return _(
            "This bill is paid by direct debit: your bank pays it on its due date, so it cannot be paid "
            "online. If the debit is returned, we send you a new bill to pay"
        )
    if target.state == "expired":
        deadline = format_day(target.deadline) if target.deadline else _("its deadline")
        return _(
            "This bills due document could be paid until %(deadline)s, and banks no longer accept it. "
            "Pay its bills one by one, or create a new bills due document in the Customer Service Area"
        ) % {"deadline": deadline}
    return _(
        "One of the bills in this bills due document has been paid on its own, so its total is no longer "
        "what is owed. Pay the remaining bills one by one, or create a new bills due document"
    )


async def find_target(
    code: Code, settings: Settings, ip: str, viewer: Viewer | None, today: dt.date | None = None
) -> tuple[Target | None, Errors]:
    """The bill or document the code stands for, if it can be paid. Otherwise one message: which detail
    is wrong only when the typed text alone shows it (check digits); once the look-up runs, the same
    answer for any mismatch, so that nobody learns which references exist. Failed look-ups count
    against the client's address and the typed reference (`viewer`: who is signed in, if anyone)."""
    today = today or clock.today()
    try:
        PaymentCode(code.issuer, code.suffix, code.reference, code.identification, code.amount_cents)
    except PaymentCodeError as exc:
        return None, {
            code.field_of("reference"): _(CHECK_DETAILS) if exc.field == "reference" else exc.message
        }
    reference = code.suffix + code.reference[:11]  # without its check digits, which follow the amount
    # Said at the form's first field: the CPR code, or the one field of the barcode form.
    first_field = code.field_of("reference") if code.fields else "cpr"
    too_many = {first_field: _(TOO_MANY) % {"phone": settings.issuer.customer_service_phone}}
    counted = await count_attempt(
        (LOOKUP_PER_IP_CLOSED, ip), (LOOKUP_PER_REFERENCE, reference), (LOOKUP_PER_IP, ip)
    )
    if LOOKUP_PER_IP_CLOSED in counted.over:
        await counted.uncount()
        log.warning("payment.lookup_throttled", ip=ip)
        return None, too_many
    target = await _target_by_reference(code, settings, today)
    if target is not None and (target.identification, target.amount_cents) != (
        code.identification,
        code.amount_cents,
    ):
        target = None  # the reference with another identification or amount: no such bill
    # Anyone can stop a reference by guessing at it; its holder, signed in, still pays it.
    if LOOKUP_PER_REFERENCE in counted.over and not (
        target is not None
        and viewer is not None
        and await bills.sees_account(viewer, account_id=target.account_id)
    ):
        await counted.uncount()
        log.warning("payment.lookup_throttled", ip=ip)
        return None, too_many
    if target is not None:
        await counted.uncount()  # a real code is not a guess: only failures count
        if problem := state_problem(target):
            return None, {code.field_of("reference"): problem}
        return target, {}
    log.info("payment.lookup_failed", ip=ip)
    mildly_throttled = LOOKUP_PER_IP in counted.over
    return None, too_many if mildly_throttled else {code.field_of("reference"): _(NOT_FOUND)}
