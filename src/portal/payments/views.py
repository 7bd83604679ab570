"""One payment as its pages show it, to those who may see it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.db import fetch_one
from portal.db.tables.payments import PaymentKind, PaymentState
from portal.payments import queries
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

    @property
    def description(self) -> str:
        if self.kind == PaymentKind.bill:
            return f"Bill {self.bill_number}"
        return f"Bills due document {self.reference}"

    @property
    def final(self) -> bool:
        return self.state != PaymentState.open


async def payment_for(order_id: str, browser_token: str | None, viewer: Viewer | None) -> PaymentView | None:
    """The payment, if the asker may see it: the browser that started it, the signed-in user who did, or
    a user who may see the account it paid for. Anyone else gets None (404), as for an unknown order."""
    if not order_id or len(order_id) > 12:
        return None
    row = await fetch_one(
        queries.PAYMENT  # noqa: S608 (constant SQL; values go in as parameters)
        + ' WHERE p.order_id = {} AND (p.browser_hash = {} OR p."user" = {}'
        ' OR EXISTS (SELECT 1 FROM account_access x WHERE x.account = p.account AND x."user" = {}))',
        order_id,
        browser_hash(browser_token) or "-",
        viewer.user_id if viewer else -1,
        viewer.user_id if viewer else -1,
    )
    return PaymentView(**row) if row else None


async def payment_for_job(order_id: str) -> PaymentView | None:
    """For jobs, which act on work a scoped request or a signed notification already checked."""
    row = await fetch_one(queries.PAYMENT + " WHERE p.order_id = {}", order_id)
    return PaymentView(**row) if row else None
