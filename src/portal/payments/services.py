"""Paying a bill or a bills-due document by card, through the Redsys redirect protocol.

The journey: a code typed by the payer (CPR code details or the number under the barcode) finds a bill
or document → a draft, addressed by a random key and bound to the browser (the payer cookie) or the
signed-in user → "Start payment" opens one payment (one gateway order) → the browser goes to the gateway
→ the gateway's signed server-to-server notification, and only it, marks the payment authorised or
declined; when authorised, the bill (or every bill of the document) becomes paid in the same transaction,
and the receipt email is stored in the outbox in that transaction too.

Anyone with a bill's code may pay it, as at a bank counter: nothing here shows who holds the account.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from asyncpg.exceptions import UniqueViolationError
from jinja2 import Environment
from saq import Queue

from portal import clock
from portal.accounts.throttle import Throttle
from portal.banking.cuaderno57 import PaymentCode, PaymentCodeError
from portal.db import engine as db_engine
from portal.db.tables import Bill, Payment, PaymentDocument, PaymentDraft, PaymentNotification
from portal.db.tables.payments import PaymentKind, PaymentState
from portal.infra.queue import Task
from portal.infra.storage import Storage
from portal.notifications import outbox
from portal.payment_documents.services import document_by_reference, mark_document_paid
from portal.payments import receipts, redsys
from portal.payments.forms import CHECK_REFERENCE, Errors, TypedCode
from portal.settings import Settings
from portal.web.sessions import Viewer

log = structlog.get_logger("portal.payments")

DRAFT_LIFETIME = dt.timedelta(hours=2)
REUSE_WINDOW = dt.timedelta(minutes=20)
"""An open payment is reused (double click, two tabs, back button) for this long; afterwards, or from
another browser, it is abandoned and a new order opened, because a gateway refuses an order id twice."""
LOOKUP_PER_IP = Throttle("paylookup:ip", 20, dt.timedelta(hours=1))
TOO_MANY = "Too many attempts. Wait an hour and try again, or call us"
NOT_FOUND = "We cannot find a bill with this reference: check it against your bill"
LANGUAGE_ENGLISH = "002"


def browser_hash(token: str | None) -> str:
    """The stored form of the payer cookie: its SHA-256, or "" for no cookie (which matches nothing)."""
    return hashlib.sha256(token.encode()).hexdigest() if token else ""


def new_browser_token() -> str:
    return secrets.token_urlsafe(32)


# --- what is being paid ---------------------------------------------------------------------------------


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
    """payable, paid, direct_debit, expired or superseded."""
    bill_number: str = ""
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    due_date: dt.date | None = None
    deadline: dt.date | None = None
    bill_count: int = 1

    @property
    def description(self) -> str:
        if self.kind == PaymentKind.bill:
            return f"Bill {self.bill_number}"
        return f"Bills due document {self.reference}"


_BILL = (
    "SELECT b.id, b.account, b.number, b.status, b.total_cents, b.payment_reference, b.payment_suffix,"
    " b.payment_identification, b.period_start, b.period_end, b.due_date FROM bill b"
)


def _bill_target(row: dict[str, Any]) -> Target:
    state = {"pending": "payable", "paid": "paid", "direct_debit": "direct_debit"}.get(row["status"], "paid")
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


async def _target_by_reference(code: TypedCode, settings: Settings, today: dt.date) -> Target | None:
    if code.suffix == settings.issuer.document_suffix:
        return await _document_target(code.reference, code.suffix, today)
    rows = await Bill.raw(
        _BILL + " WHERE b.payment_reference = {} AND b.payment_suffix = {}",
        *(
            code.reference,
            code.suffix,
        ),
    )
    return _bill_target(rows[0]) if rows else None


async def load_target(kind: str, target_id: int, settings: Settings, today: dt.date | None = None) -> Target:
    """The bill or document as it is now (its amount and state are read again at every step)."""
    today = today or clock.today()
    if kind == PaymentKind.bill:
        rows = await Bill.raw(_BILL + " WHERE b.id = {}", target_id)
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
        what = "bill" if target.kind == PaymentKind.bill else "bills due document"
        return f"This {what} is already paid: there is nothing to pay"
    if target.state == "direct_debit":
        return (
            "This bill is paid by direct debit: your bank pays it on its due date, so it cannot be paid "
            "online. If the debit is returned, we send you a new bill to pay"
        )
    if target.state == "expired":
        deadline = f"{target.deadline.day} {target.deadline:%b %Y}" if target.deadline else "its deadline"
        return (
            f"This bills due document could be paid until {deadline}, and banks no longer accept it. "
            "Pay its bills one by one, or create a new bills due document in the Customer Service Area"
        )
    return (
        "One of the bills in this bills due document has been paid on its own, so its total is no longer "
        "what is owed. Pay the remaining bills one by one, or create a new bills due document"
    )


async def find_target(
    code: TypedCode, settings: Settings, ip: str, today: dt.date | None = None
) -> tuple[Target | None, Errors]:
    """The bill or document the code stands for, if it can be paid; otherwise which field is wrong and
    why. Failed look-ups count against the client's address."""
    today = today or clock.today()
    if await LOOKUP_PER_IP.blocked(ip):
        log.warning("payment.lookup_throttled", ip=ip)
        return None, {code.field_of("cpr") if not code.fields else code.field_of("reference"): TOO_MANY}
    target = await _target_by_reference(code, settings, today)
    errors: Errors = {}
    if target is None:
        try:
            PaymentCode(code.issuer, code.suffix, code.reference, code.identification, code.amount_cents)
        except PaymentCodeError as exc:
            errors[code.field_of("reference")] = CHECK_REFERENCE if exc.field == "reference" else exc.message
        else:
            errors[code.field_of("reference")] = NOT_FOUND
    elif code.identification != target.identification:
        errors[code.field_of("identification")] = (
            "The identification does not match this reference: check both against your bill"
        )
    elif code.amount_cents != target.amount_cents:
        errors[code.field_of("amount")] = (
            "The amount does not match this bill: type the exact total to pay, with its cents"
        )
    elif problem := state_problem(target):
        errors[code.field_of("reference")] = problem
        return None, errors  # a true answer about a real code: not a guess, so not counted
    if errors:
        await LOOKUP_PER_IP.hit(ip)
        log.info("payment.lookup_failed", ip=ip, field=next(iter(errors)))
        return None, errors
    return target, {}


# --- drafts -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    id: int
    key: str
    kind: str
    target_id: int
    email: str
    payment_id: int | None


async def create_draft(
    target: Target, browser_token: str, viewer: Viewer | None, now: dt.datetime | None = None
) -> str:
    now = now or clock.now()
    key = secrets.token_urlsafe(16)
    await PaymentDraft.insert(
        PaymentDraft(
            key=key,
            browser_hash=browser_hash(browser_token),
            user=viewer.user_id if viewer else None,
            kind=target.kind,
            bill=target.id if target.kind == PaymentKind.bill else None,
            document=target.id if target.kind == PaymentKind.document else None,
            email=viewer.email if viewer else "",
            created_at=now,
            expires_at=now + DRAFT_LIFETIME,
        )
    )
    return key


async def get_draft(key: str, browser_token: str | None, viewer: Viewer | None) -> Draft | None:
    """The draft, if this browser or this signed-in user made it and it has not expired."""
    if not key or len(key) > 40:
        return None
    rows = await PaymentDraft.raw(
        "SELECT id, key, kind, bill, document, email, payment FROM payment_draft WHERE key = {}"
        ' AND expires_at > {} AND (browser_hash = {} OR "user" = {})',
        key,
        clock.now(),
        browser_hash(browser_token) or "-",
        viewer.user_id if viewer else -1,
    )
    if not rows:
        return None
    row = rows[0]
    return Draft(
        id=row["id"],
        key=row["key"],
        kind=row["kind"],
        target_id=row["bill"] if row["kind"] == PaymentKind.bill else row["document"],
        email=row["email"],
        payment_id=row["payment"],
    )


async def purge_drafts() -> None:
    await PaymentDraft.delete().where(PaymentDraft.expires_at < clock.now())


# --- starting a payment ------------------------------------------------------------------------------------


_TARGET_COLUMN = {PaymentKind.bill: "bill", PaymentKind.document: "document"}
_TARGET_TABLE = {PaymentKind.bill: "bill", PaymentKind.document: "payment_document"}


async def start_payment(
    draft: Draft,
    email: str,
    browser_token: str,
    viewer: Viewer | None,
    settings: Settings,
    now: dt.datetime | None = None,
) -> tuple[str | None, Errors]:
    """Open the payment for the draft's bill or document, or reuse the one this browser opened moments
    ago, and return its order id. The amount is the bill's or document's, read now."""
    now = now or clock.now()
    for _ in range(3):
        try:
            return await _start_payment(draft, email, browser_token, viewer, settings, now)
        except UniqueViolationError:
            continue  # another request opened one at the same instant: take that one
    raise RuntimeError("could not open a payment")  # pragma: no cover - needs three races in a row


async def _start_payment(
    draft: Draft, email: str, browser_token: str, viewer: Viewer | None, settings: Settings, now: dt.datetime
) -> tuple[str | None, Errors]:
    column, table = _TARGET_COLUMN[PaymentKind(draft.kind)], _TARGET_TABLE[PaymentKind(draft.kind)]
    hashed = browser_hash(browser_token)
    async with db_engine().transaction():
        # The bill (or document) row is the lock that serialises every start for it.
        await Bill.raw(f"SELECT id FROM {table} WHERE id = {{}} FOR UPDATE", draft.target_id)  # noqa: S608
        target = await load_target(draft.kind, draft.target_id, settings, now.date())
        if problem := state_problem(target):
            return None, {"": problem}
        rows = await Payment.raw(
            f'SELECT id, order_id, browser_hash, "user", created_at, amount_cents FROM payment'  # noqa: S608
            f" WHERE {column} = {{}} AND state = 'open' FOR UPDATE",
            target.id,
        )
        current = rows[0] if rows else None
        mine = current is not None and (
            current["browser_hash"] == hashed or (viewer is not None and current["user"] == viewer.user_id)
        )
        if (
            current is not None
            and mine
            and current["created_at"] > now - REUSE_WINDOW
            and current["amount_cents"] == target.amount_cents
        ):
            payment_id, order_id = current["id"], current["order_id"]
            await Payment.update(
                {Payment.email: email, Payment.draft: draft.id, Payment.updated_at: now}
            ).where(Payment.id == payment_id)
            log.info("payment.reused", order=order_id)
        else:
            if current is not None:
                await Payment.update({Payment.state: PaymentState.abandoned, Payment.updated_at: now}).where(
                    Payment.id == current["id"]
                )
                log.info("payment.abandoned", order=current["order_id"])
            serial = await Payment.raw("SELECT nextval(pg_get_serial_sequence('payment', 'id')) AS id")
            payment_id = int(serial[0]["id"])
            order_id = redsys.new_order_id(payment_id)
            await Payment.raw(
                "INSERT INTO payment (id, order_id, kind, bill, document, account, reference, amount_cents,"
                ' email, "user", browser_hash, draft, state, response_code, authorisation_code, card_masked,'
                " needs_refund, created_at, updated_at, notified_at)"
                " VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, 'open', NULL, '', '', false,"
                " {}, {}, NULL)",
                payment_id,
                order_id,
                target.kind.value if isinstance(target.kind, PaymentKind) else target.kind,
                target.id if target.kind == PaymentKind.bill else None,
                target.id if target.kind == PaymentKind.document else None,
                target.account_id,
                target.reference,
                target.amount_cents,
                email,
                viewer.user_id if viewer else None,
                hashed,
                draft.id,
                now,
                now,
            )
            log.info(
                "payment.opened", order=order_id, kind=str(target.kind), amount_cents=target.amount_cents
            )
        await PaymentDraft.update({PaymentDraft.payment: payment_id, PaymentDraft.email: email}).where(
            PaymentDraft.id == draft.id
        )
    return order_id, {}


# --- one payment, as its pages show it -----------------------------------------------------------------


@dataclass(frozen=True)
class PaymentView:
    id: int
    order_id: str
    kind: str
    reference: str
    amount_cents: int
    email: str
    state: str
    response_code: int | None
    authorisation_code: str
    card_masked: str
    created_at: dt.datetime
    notified_at: dt.datetime | None
    draft_key: str | None
    bill_id: int | None
    document_id: int | None
    bill_number: str | None
    period_start: dt.date | None
    period_end: dt.date | None
    deadline: dt.date | None
    bill_count: int

    @property
    def description(self) -> str:
        if self.kind == PaymentKind.bill:
            return f"Bill {self.bill_number}"
        return f"Bills due document {self.reference}"

    @property
    def final(self) -> bool:
        return self.state != PaymentState.open


_PAYMENT = (
    "SELECT p.id, p.order_id, p.kind, p.reference, p.amount_cents, p.email, p.state, p.response_code,"
    " p.authorisation_code, p.card_masked, p.created_at, p.notified_at, dr.key AS draft_key,"
    " p.bill AS bill_id, p.document AS document_id, b.number AS bill_number, b.period_start, b.period_end,"
    " d.deadline,"
    " CASE WHEN p.document IS NULL THEN 1 ELSE"
    " (SELECT COUNT(*) FROM payment_document_bill WHERE document = p.document) END AS bill_count"
    " FROM payment p LEFT JOIN bill b ON b.id = p.bill LEFT JOIN payment_document d ON d.id = p.document"
    " LEFT JOIN payment_draft dr ON dr.id = p.draft"
)


async def payment_for(order_id: str, browser_token: str | None, viewer: Viewer | None) -> PaymentView | None:
    """The payment, if the asker may see it: the browser that started it, the signed-in user who did, or
    a user who may see the account it paid for. Anyone else gets None (404), as for an unknown order."""
    if not order_id or len(order_id) > 12:
        return None
    rows = await Payment.raw(
        _PAYMENT  # noqa: S608 (constant SQL; values go in as parameters)
        + ' WHERE p.order_id = {} AND (p.browser_hash = {} OR p."user" = {}'
        ' OR EXISTS (SELECT 1 FROM account_access x WHERE x.account = p.account AND x."user" = {}))',
        order_id,
        browser_hash(browser_token) or "-",
        viewer.user_id if viewer else -1,
        viewer.user_id if viewer else -1,
    )
    return PaymentView(**rows[0]) if rows else None


async def payment_for_job(order_id: str) -> PaymentView | None:
    """For jobs, which act on work a scoped request or a signed notification already checked."""
    rows = await Payment.raw(_PAYMENT + " WHERE p.order_id = {}", order_id)
    return PaymentView(**rows[0]) if rows else None


async def bill_payments(viewer: Viewer, bill_id: int) -> list[PaymentView]:
    """Payments of a bill the viewer may see, by itself or in a bills-due document, newest first."""
    rows = await Payment.raw(
        _PAYMENT  # noqa: S608 (constant SQL; values go in as parameters)
        + " WHERE p.state IN ('authorised', 'declined')"
        " AND (p.bill = {} OR p.document IN (SELECT document FROM payment_document_bill WHERE bill = {}))"
        ' AND EXISTS (SELECT 1 FROM account_access x WHERE x.account = p.account AND x."user" = {})'
        " ORDER BY p.created_at DESC, p.id DESC",  # the id orders payments made at one instant
        bill_id,
        bill_id,
        viewer.user_id,
    )
    return [PaymentView(**row) for row in rows]


async def payable_problem(payment: PaymentView, settings: Settings) -> str | None:
    """Why the payer must not go to the bank for this payment now (its bill was paid meanwhile…)."""
    target_id = payment.bill_id if payment.kind == PaymentKind.bill else payment.document_id
    assert target_id is not None
    return state_problem(await load_target(payment.kind, target_id, settings))


def gateway_form(payment: PaymentView, settings: Settings) -> dict[str, str]:
    """The three signed fields the browser posts to the gateway."""
    base = settings.web.base_url
    request = redsys.PaymentRequest(
        amount_cents=payment.amount_cents,
        order=payment.order_id,
        merchant_code=settings.gateway.merchant_code,
        terminal=settings.gateway.terminal,
        merchant_url=f"{base}/payments/notification",
        url_ok=f"{base}/payments/{payment.order_id}",
        url_ko=f"{base}/payments/{payment.order_id}",
        description=payment.description,
        language=LANGUAGE_ENGLISH,
    )
    return request.to_form(settings.gateway.secret)


# --- the gateway's notification -------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipts:
    """What a notification leaves to do after its commit: send the email, render the PDF."""

    env: Environment
    queue: Queue


async def handle_notification(
    form: Mapping[str, str], settings: Settings, receipts: Receipts, now: dt.datetime | None = None
) -> str:
    """Apply one gateway notification and return what became of it (also logged and stored).

    Only a correctly signed notification for a known order, with that order's amount and currency,
    changes anything; a payment's first result is final, so duplicates and late or conflicting
    notifications change nothing.
    """
    now = now or clock.now()
    try:
        notification = redsys.verify_notification(
            settings.gateway.secret,
            str(form.get("Ds_SignatureVersion", "")),
            str(form.get("Ds_MerchantParameters", "")),
            str(form.get("Ds_Signature", "")),
        )
    except redsys.RedsysSignatureError as exc:
        return await _record(None, "", "bad_signature", now, warning=str(exc))
    except redsys.RedsysError as exc:
        return await _record(None, "", "malformed", now, warning=str(exc))
    order = notification.order[:12]
    email_id: int | None = None
    async with db_engine().transaction():
        rows = await Payment.raw(
            "SELECT id, kind, bill, document, reference, amount_cents, email, state FROM payment"
            " WHERE order_id = {} FOR UPDATE",
            order,
        )
        if not rows:
            return await _record(None, order, "unknown_order", now, notification, warning="no such order")
        payment = rows[0]
        if notification.amount_cents != payment["amount_cents"] or notification.currency != "978":
            return await _record(payment["id"], order, "amount_mismatch", now, notification, warning="amount")
        if payment["state"] in {PaymentState.authorised, PaymentState.declined}:
            same = (payment["state"] == PaymentState.authorised) == notification.authorised
            outcome = "duplicate" if same else "conflicting"
            return await _record(
                payment["id"], order, outcome, now, notification, warning=None if same else outcome
            )
        if not notification.authorised:
            await _set_result(payment["id"], PaymentState.declined, notification, now, needs_refund=False)
            return await _record(payment["id"], order, "declined", now, notification)
        paid = await _mark_paid(payment, now, settings)
        await _set_result(payment["id"], PaymentState.authorised, notification, now, needs_refund=not paid)
        if payment["email"]:
            email_id = await _store_receipt_email(payment["id"], order, receipts.env, settings)
        outcome = await _record(
            payment["id"],
            order,
            "authorised" if paid else "authorised_already_paid",
            now,
            notification,
            warning=None if paid else "authorised for something already paid: refund it",
        )
    if email_id is not None:
        await outbox.enqueue_email(receipts.queue, email_id)
    if outcome == "authorised":
        await RENDER_RECEIPT_PDF.enqueue(receipts.queue, key=f"receipt-pdf:{order}", order_id=order)
    return outcome


async def _mark_paid(payment: dict[str, Any], now: dt.datetime, settings: Settings) -> bool:
    """The bill, or every bill of the document, paid; False if it had been paid some other way."""
    if payment["kind"] == PaymentKind.bill:
        rows = await Bill.raw(
            "UPDATE bill SET status = 'paid', paid_at = {} WHERE id = {} AND status = 'pending' RETURNING id",
            now,
            payment["bill"],
        )
        return bool(rows)
    document = await document_by_reference(payment["reference"], now.date())
    # Expired is fine: the payment started before the deadline and the bank took the money.
    if document is None or document.state not in {"pending", "expired"}:
        return False
    await mark_document_paid(document.id, now)
    return True


async def _set_result(
    payment_id: int,
    state: PaymentState,
    notification: redsys.Notification,
    now: dt.datetime,
    *,
    needs_refund: bool,
) -> None:
    await Payment.update(
        {
            Payment.state: state,
            Payment.response_code: notification.response_code,
            Payment.authorisation_code: (notification.authorisation_code or "")[:12],
            Payment.card_masked: _masked(notification.card_number_masked),
            Payment.needs_refund: needs_refund,
            Payment.notified_at: now,
            Payment.updated_at: now,
        }
    ).where(Payment.id == payment_id)


def _masked(card: str | None) -> str:
    """Keep at most the first 6 and last 4 digits, whatever the gateway sent (a sandbox might send more)."""
    if not card:
        return ""
    digits = [c for c in card if c.isdigit() or c == "*"]
    text = "".join(digits)[:19]
    if len(text) <= 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


async def _record(
    payment_id: int | None,
    order: str,
    outcome: str,
    now: dt.datetime,
    notification: redsys.Notification | None = None,
    *,
    warning: str | None = None,
) -> str:
    await PaymentNotification.insert(
        PaymentNotification(
            payment=payment_id,
            order_id=order,
            outcome=outcome,
            response_code=notification.response_code if notification else None,
            amount_cents=notification.amount_cents if notification else None,
            received_at=now,
        )
    )
    fields = {
        "order": order,
        "outcome": outcome,
        "response_code": notification.response_code if notification else None,
        "card": _masked(notification.card_number_masked) if notification else None,
    }
    if warning:
        log.warning("payment.notification", problem=warning, **fields)
    else:
        log.info("payment.notification", **fields)
    return outcome


async def _store_receipt_email(payment_id: int, order: str, env: Environment, settings: Settings) -> int:
    payment = await payment_for_job(order)
    assert payment is not None
    return await outbox.store_email(
        env,
        dedupe_key=f"payment-receipt:{payment_id}",
        template="payment_receipt",
        to_address=payment.email,
        context={
            "issuer_name": settings.issuer.name,
            "payment": payment,
            "link": f"{settings.web.base_url}/payments/{order}",
        },
    )


# --- the receipt PDF ------------------------------------------------------------------------------------


RENDER_RECEIPT_PDF = Task(
    name="render_receipt_pdf", timeout=120, retries=3, retry_delay=2.0, retry_backoff=True, heartbeat=60
)


def receipt_key(order_id: str) -> str:
    return f"receipts/{order_id}.pdf"


async def render_receipt_pdf(order_id: str, settings: Settings, storage: Storage) -> str:
    """Render and store the receipt unless it is stored already (retried or duplicated jobs do nothing)."""
    payment = await payment_for_job(order_id)
    if payment is None or payment.state != PaymentState.authorised:
        return "not paid"
    key = receipt_key(order_id)
    if storage.exists(key):
        return "already stored"
    pdf = await asyncio.to_thread(
        receipts.render_receipt_pdf, payment, settings.issuer, settings.locale.timezone
    )
    storage.write(key, pdf)
    return "rendered"


async def request_receipt_pdf(payment: PaymentView, storage: Storage, queue: Queue) -> bool:
    """Whether the receipt PDF is ready; if not, make sure one job is preparing it."""
    if storage.exists(receipt_key(payment.order_id)):
        return True
    await RENDER_RECEIPT_PDF.enqueue(queue, key=f"receipt-pdf:{payment.order_id}", order_id=payment.order_id)
    return False
