"""The gateway's signed server-to-server notification, and only it, marks a payment authorised or declined;
when authorised, the bill (or every bill of the document) becomes paid in the same transaction, and the
receipt email is stored in the outbox in that transaction too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import structlog
from jinja2 import Environment

from portal import clock
from portal.db import engine as db_engine
from portal.db import fetch
from portal.db.tables import Payment, PaymentNotification
from portal.db.tables.payments import PaymentKind, PaymentState
from portal.notifications import outbox
from portal.notifications.mailer import Mailer
from portal.payment_documents.payable import document_by_reference, lock_document_bills, mark_document_paid
from portal.payments import pdf, redsys
from portal.payments.checkout import lock_target
from portal.payments.views import payment_for_job
from portal.settings import Settings

log = structlog.get_logger("portal.payments")
_LONGEST_PROBLEM = 200

UNAPPLIED_RETENTION = dt.timedelta(days=30)
"""How long the rows of notifications that named no payment are kept. They matter only while someone looks
for a notification that should have paid something: a payer calling about a bill still unpaid, the month's
reconciliation of the gateway's statement, a wrong gateway key (every real notification then fails as
bad_signature). A month covers those; each is also logged as a warning."""
# What `handle_notification` records with no payment: a post that failed the signature check or could not be
# read, or a signed one for an order the portal never opened.
_UNAPPLIED = ["bad_signature", "malformed", "unknown_order"]


async def handle_notification(form: Mapping[str, str], mailer: Mailer, now: dt.datetime | None = None) -> str:
    """Apply one gateway notification and return what became of it (also logged and stored).

    Only a correctly signed notification for a known order, with that order's amount and currency,
    changes anything. An authorisation is final, so duplicates and a later decline change nothing; a
    decline is final but for an authorisation of the same order, which is applied (money was taken).
    """
    now = now or clock.now()
    settings = mailer.settings
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
    order = notification.order
    email_id: int | None = None
    async with db_engine().transaction():
        # What it pays never changes, so it is read before any lock; its bill or document is locked
        # before the payment's row, in the order "Start payment" takes them (else a deadlock: one aborted).
        target = await fetch("SELECT kind, bill, document FROM payment WHERE order_id = {}", order)
        if target:
            await lock_target(target[0]["kind"], target[0]["bill"] or target[0]["document"])
        rows = await fetch(
            "SELECT id, kind, bill, document, reference, amount_cents, email, state, language FROM payment"
            " WHERE order_id = {} FOR UPDATE",
            order,
        )
        if not rows:
            return await _record(None, order, "unknown_order", now, notification, warning="no such order")
        payment = rows[0]
        if notification.amount_cents != payment["amount_cents"] or notification.currency != "978":
            return await _record(payment["id"], order, "amount_mismatch", now, notification, warning="amount")
        # A merchant's key signs for all its terminals (another shop or channel numbers its own orders):
        # an authorisation made on another terminal or merchant is not this order's, whatever its number.
        if notification.merchant_code != settings.gateway.merchant_code or not redsys.same_terminal(
            notification.terminal, settings.gateway.terminal
        ):
            return await _record(
                payment["id"], order, "merchant_mismatch", now, notification, warning="merchant or terminal"
            )
        # An authorisation is money taken: one that follows a decline of the same order (the payer tried
        # again on the bank's page) is applied below, or flagged for refund, never dropped. A decline
        # never undoes an authorisation.
        if payment["state"] == PaymentState.authorised or (
            payment["state"] == PaymentState.declined and not notification.authorised
        ):
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
            email_id = await _store_receipt_email(payment["id"], order, mailer.env, settings)
        outcome = await _record(
            payment["id"],
            order,
            "authorised" if paid else "authorised_already_paid",
            now,
            notification,
            warning=None if paid else "authorised for something already paid: refund it",
        )
    if email_id is not None:
        await outbox.enqueue_email(mailer.queue, email_id)
    if outcome == "authorised":
        language = payment["language"]  # the receipt is printed in the payer's language
        await pdf.TASK.enqueue(
            mailer.queue, key=pdf.job_key(order, language), order_id=order, language=language
        )
    return outcome


async def purge_unapplied() -> None:
    """Delete the rows of notifications that changed nothing and named no payment, once older than
    UNAPPLIED_RETENTION: anyone may post to the notification address (the gateway must reach it, so it is not
    throttled), and each forged post would otherwise stay for good. A payment's own rows (applied, declined,
    duplicate, amount or merchant mismatch) are its audit trail and stay. Picked by outcome rather than by an
    empty payment column, which a deleted payment leaves too (ON DELETE SET NULL)."""
    await PaymentNotification.delete().where(
        PaymentNotification.outcome.is_in(_UNAPPLIED)
        & (PaymentNotification.received_at < clock.now() - UNAPPLIED_RETENTION)
    )


async def _mark_paid(payment: dict[str, Any], now: dt.datetime, settings: Settings) -> bool:
    """The bill, or every bill of the document, paid; False if it had been paid some other way."""
    if payment["kind"] == PaymentKind.bill:
        rows = await fetch(
            "UPDATE bill SET status = 'paid', paid_at = {}, paid_channel = 'card' WHERE id = {}"
            " AND status = 'pending' RETURNING id",
            now,
            payment["bill"],
        )
        return bool(rows)
    # Its bills locked first, so that its state below counts a bill paid meanwhile by another channel (the
    # billing import, that bill's own card payment): marking the document paid over it would take that
    # bill's money twice and flag nothing for refund.
    await lock_document_bills(payment["document"])
    document = await document_by_reference(payment["reference"], clock.day_of(now))
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
        # Bounded: before its signature is checked, what a notification says (its version, its field
        # names) is anyone's, and repeated back in the message it could be a megabyte a line.
        log.warning("payment.notification", problem=warning[:_LONGEST_PROBLEM], **fields)
    else:
        log.info("payment.notification", **fields)
    return outcome


async def _store_receipt_email(payment_id: int, order: str, env: Environment, settings: Settings) -> int:
    payment = await payment_for_job(order)
    assert payment is not None
    payment = replace(payment, is_payer=True)  # the email goes to the payer: "your payment"
    return await outbox.store_email(
        env,
        dedupe_key=f"payment-receipt:{payment_id}",
        template="payment_receipt",
        to_address=payment.email,
        language=payment.language,
        context={
            "payment": payment,
            "link": f"{settings.web.base_url}/payments/{order}",
        },
    )
