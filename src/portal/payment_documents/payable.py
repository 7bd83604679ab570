"""Paying a bills-due document by its code: finding it, its state, marking it paid.

The document's code has a suffix of 500 or more, so its identification is its deadline (``DDMMYY``) and
banks refuse it afterwards. Its state is read, not kept up to date by a job:

- paid: paid through its own code (every bill in it became paid in the same transaction), or every bill
  in it was paid some other way (each by card, at the bank, by direct debit: the billing import);
- superseded: some of its bills were paid on their own, so the document's total is no longer what is owed;
- expired: past its deadline;
- pending: none of the above, so it can still be paid.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from portal import clock
from portal.db import execute, fetch
from portal.db.tables import PaymentDocument
from portal.db.tables.bills import BillStatus
from portal.db.tables.payment_documents import DocumentStatus
from portal.payment_documents import queries


def document_state(
    status: str, deadline: dt.date, bills_paid_apart: int, bills_unpaid: int, today: dt.date
) -> str:
    if status == DocumentStatus.paid or not bills_unpaid:
        return "paid"
    if bills_paid_apart:
        return "superseded"
    if deadline < today:
        return "expired"
    return "pending"


def row_state(row: dict[str, Any], today: dt.date) -> str:
    return document_state(row["status"], row["deadline"], row["paid_apart"], row["unpaid"], today)


def read_row(row: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """What every read of a document takes from a row of `queries.DOCUMENTS`."""
    return {
        "id": row["id"],
        "deadline": row["deadline"],
        "total_cents": row["total_cents"],
        "state": row_state(row, today),
    }


@dataclass(frozen=True)
class PayableDocument:
    """What paying a document by its code needs: its amount, state and bills."""

    id: int
    account_id: int
    reference: str
    identification: str
    deadline: dt.date
    total_cents: int
    state: str
    bill_ids: tuple[int, ...]


async def document_by_reference(reference: str, today: dt.date | None = None) -> PayableDocument | None:
    """The document with this 13-digit reference, whoever made it: paying by code needs no account."""
    rows = await fetch(
        queries.DOCUMENTS + " WHERE d.payment_reference = {} AND d.status <> 'draft'", reference
    )
    if not rows:
        return None
    row: dict[str, Any] = rows[0]
    return PayableDocument(
        **read_row(row, today or clock.today()),
        account_id=row["account"],
        reference=row["payment_reference"],
        identification=row["payment_identification"],
        bill_ids=tuple(row["bill_ids"]),
    )


async def lock_document_bills(document_id: int) -> None:
    """Lock the document's bills until the caller's transaction ends (in bill order, as confirming a
    document locks its bills, so that two lockers cannot deadlock)."""
    await execute(
        "SELECT b.id FROM bill b JOIN payment_document_bill l ON l.bill = b.id WHERE l.document = {}"
        " ORDER BY b.id FOR UPDATE OF b",
        document_id,
    )


async def mark_document_paid(document_id: int, paid_at: dt.datetime) -> tuple[int, ...]:
    """Mark the document and all its bills paid; returns the bills' ids.

    Call it inside the caller's transaction (the one that records the payment), so that the payment,
    the document and its bills change together or not at all.
    """
    await PaymentDocument.update(
        {PaymentDocument.status: DocumentStatus.paid, PaymentDocument.paid_at: paid_at}
    ).where(PaymentDocument.id == document_id)
    rows = await fetch(
        "UPDATE bill SET status = {}, paid_at = {}, paid_channel = 'card'"
        " WHERE id IN (SELECT bill FROM payment_document_bill WHERE document = {}) AND status = {}"
        " RETURNING id",
        BillStatus.paid.value,
        paid_at,
        document_id,
        BillStatus.pending.value,
    )
    return tuple(row["id"] for row in rows)
