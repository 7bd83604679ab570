"""Card payments to refund: authorised by the bank after what they paid had been paid another way (at a
bank counter, by direct debit: the billing import), so the portal kept the first payment and flagged
this one (`Payment.needs_refund`). The portal cannot give money back itself: an operator refunds each
in the gateway's back office, then records it, so the list keeps only what is still owed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal import clock
from portal.db import fetch
from portal.templating import format_day

_TO_REFUND = (
    "SELECT p.order_id, p.notified_at, p.amount_cents, p.card_masked, p.authorisation_code, p.refunded_at,"
    " a.number AS account, COALESCE(b.number, 'bills due document ' || d.payment_reference) AS paid,"
    " b.paid_at AS bill_paid_at, b.paid_channel"
    " FROM payment p JOIN account a ON a.id = p.account LEFT JOIN bill b ON b.id = p.bill"
    " LEFT JOIN payment_document d ON d.id = p.document"
    " WHERE p.needs_refund AND p.state = 'authorised'"
)


@dataclass(frozen=True)
class Refund:
    order_id: str
    notified_at: dt.datetime
    amount_cents: int
    card_masked: str
    authorisation_code: str
    refunded_at: dt.datetime | None
    account: str
    paid: str
    """The bill's number, or "bills due document <reference>"."""
    bill_paid_at: dt.datetime | None
    paid_channel: str
    """How the bill had been paid before (a document's bills may each differ: not shown for them)."""

    def line(self) -> str:
        """One line of `portal payments refunds`."""
        when = self.notified_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        euros = f"{self.amount_cents // 100}.{self.amount_cents % 100:02d} EUR"
        before = ""
        if self.bill_paid_at is not None:
            how = self.paid_channel.replace("_", " ") or "how not known"
            before = f", already paid {format_day(self.bill_paid_at.astimezone(dt.UTC))} ({how})"
        state = f"refunded {self.refunded_at:%Y-%m-%d}" if self.refunded_at else "to refund"
        return (
            f"{self.order_id}  {when}  {euros}  card {self.card_masked or '?'}"
            f" authorisation {self.authorisation_code or '?'}  {self.paid}{before}"
            f"  account {self.account}  {state}"
        )


async def refunds(*, include_refunded: bool = False) -> list[Refund]:
    """The payments still to refund, oldest first (with `include_refunded`, those already refunded too)."""
    where = "" if include_refunded else " AND p.refunded_at IS NULL"
    rows = await fetch(_TO_REFUND + where + " ORDER BY p.notified_at, p.id")
    return [Refund(**row) for row in rows]


async def mark_refunded(order_id: str, now: dt.datetime | None = None) -> bool:
    """Record that the operator refunded it; False when the order is not one to refund (or already is)."""
    rows = await fetch(
        "UPDATE payment SET refunded_at = {} WHERE order_id = {} AND needs_refund AND state = 'authorised'"
        " AND refunded_at IS NULL RETURNING id",
        now or clock.now(),
        order_id,
    )
    return bool(rows)
