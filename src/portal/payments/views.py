"""One payment as its pages show it, to those who may see it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from portal.banking.money import format_eur
from portal.db import fetch_one
from portal.db.tables.payments import PaymentKind, PaymentState
from portal.i18n import gettext as _
from portal.payments import queries, redsys
from portal.viewer import Viewer
from portal.web.tokens import token_hash


def browser_hash(token: str | None) -> str:
    """The stored form of the payer cookie: its SHA-256, or "" for no cookie (which matches nothing)."""
    return token_hash(token) if token else ""


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
    needs_refund: bool
    """Authorised after what it paid had been paid another way (e.g. at a bank counter): to be refunded."""
    language: str
    """The payer's language when they started: the receipt's email and PDF are in it."""
    paid_by_card_before: bool
    """For a payment to refund: what it paid had been paid by another card payment, not another way."""
    is_payer: bool = False
    """Whether the asker paid it (its browser, or the signed-in user who did): only they see who paid
    and with which card."""

    @property
    def description(self) -> str:
        if self.kind == PaymentKind.bill:
            return _("Bill %(number)s") % {"number": self.bill_number}
        return _("Bills due document %(reference)s") % {"reference": self.reference}

    @property
    def refund_heading(self) -> str:
        """The title of a payment to refund: "your payment" to its payer only (others may see the account)."""
        if self.is_payer:
            return _("Already paid: your payment will be refunded")
        return _("Already paid: this payment will be refunded")

    @property
    def page_title(self) -> str:
        """The result page's title; also the status poll's once the bank has answered (htmx takes it)."""
        if self.state == PaymentState.authorised:
            return self.refund_heading if self.needs_refund else _("Payment complete")
        if self.state == PaymentState.open:
            return _("Waiting for the bank")
        return _("Payment not completed")

    @property
    def refund_explanation(self) -> str:
        """What a payment to refund took and why it is refunded, as its page and its receipt email both say
        it: "your payment" to its payer only (others may see the account)."""
        took = {"amount_cents": format_eur(self.amount_cents), "description": self.description}
        if self.is_payer:
            what = _("The bank took your payment of %(amount_cents)s (%(description)s).") % took
        else:
            what = _("The bank took a payment of %(amount_cents)s (%(description)s).") % took
        if self.paid_by_card_before:
            why = _("It had already been paid by another card payment before this one reached us.")
        else:
            why = _(
                "It had already been paid another way (for example at a bank counter or by direct debit)"
                " before this payment reached us."
            )
        return f"{what} {why}"

    @property
    def final(self) -> bool:
        return self.state != PaymentState.open

    @property
    def cancelled(self) -> bool:
        """The payer pressed "Cancel" at the bank (Redsys answers 9915): not the bank's refusal."""
        return self.state == PaymentState.declined and self.response_code == redsys.CANCELLED_BY_PAYER


async def payment_for(order_id: str, browser_token: str | None, viewer: Viewer | None) -> PaymentView | None:
    """The payment, if the asker may see it: the browser that started it, the signed-in user who did, or
    a user who may see the account it paid for. Anyone else gets None (404), as for an unknown order.
    Only the payer sees the payer's email and card: the others, that it was paid, when and how much."""
    if not order_id or len(order_id) > 12:
        return None
    payer = browser_hash(browser_token) or "-", viewer.user_id if viewer else -1
    row = await fetch_one(
        queries.PAYMENT_COLUMNS  # noqa: S608 (constant SQL; values go in as parameters)
        + ', COALESCE(p.browser_hash = {} OR p."user" = {}, FALSE) AS is_payer'
        + queries.PAYMENT_FROM
        + ' WHERE p.order_id = {} AND (p.browser_hash = {} OR p."user" = {}'
        ' OR EXISTS (SELECT 1 FROM account_access x WHERE x.account = p.account AND x."user" = {}))',
        *payer,
        order_id,
        *payer,
        payer[1],
    )
    if not row:
        return None
    payment = PaymentView(**row)
    return payment if payment.is_payer else replace(payment, email="", card_masked="")


async def payment_for_job(order_id: str) -> PaymentView | None:
    """For jobs, which act on work a scoped request or a signed notification already checked."""
    row = await fetch_one(queries.PAYMENT + " WHERE p.order_id = {}", order_id)
    return PaymentView(**row) if row else None
