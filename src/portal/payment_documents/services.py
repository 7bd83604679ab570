"""Bills-due documents: pending bills of one account gathered under one new Cuaderno 57 code.

The document's code has a suffix of 500 or more, so its identification is its deadline (``DDMMYY``) and
banks refuse it afterwards. Its state is read, not kept up to date by a job:

- paid: paid through its own code (every bill in it became paid in the same transaction);
- superseded: one of its bills was paid on its own, so the document's total is no longer what is owed;
- expired: past its deadline;
- pending: none of the above, so it can still be paid.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from portal.db.tables import Bill, PaymentDocument
from portal.db.tables.bills import BillStatus
from portal.db.tables.payment_documents import DocumentStatus


def document_state(status: str, deadline: dt.date, bills_paid_apart: int, today: dt.date) -> str:
    if status == DocumentStatus.paid:
        return "paid"
    if bills_paid_apart:
        return "superseded"
    if deadline < today:
        return "expired"
    return "pending"


# Bills of the document that were paid, but not through it.
_PAID_APART = (
    "(SELECT COUNT(*) FROM payment_document_bill pdb JOIN bill pb ON pb.id = pdb.bill"
    " WHERE pdb.document = d.id AND pb.status <> 'pending' AND d.status <> 'paid')"
)


# Only constant SQL is joined here; values always go in as parameters.
_PAYABLE = (
    "SELECT d.id, d.account, d.payment_reference, d.payment_identification, d.deadline, d.total_cents,"  # noqa: S608
    " d.status, " + _PAID_APART + " AS paid_apart,"
    " ARRAY(SELECT bill FROM payment_document_bill WHERE document = d.id ORDER BY bill) AS bill_ids"
    " FROM payment_document d"
)


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
    rows = await PaymentDocument.raw(_PAYABLE + " WHERE d.payment_reference = {}", reference)
    if not rows:
        return None
    row: dict[str, Any] = rows[0]
    return PayableDocument(
        id=row["id"],
        account_id=row["account"],
        reference=row["payment_reference"],
        identification=row["payment_identification"],
        deadline=row["deadline"],
        total_cents=row["total_cents"],
        state=document_state(row["status"], row["deadline"], row["paid_apart"], today or dt.date.today()),
        bill_ids=tuple(row["bill_ids"]),
    )


async def mark_document_paid(document_id: int, paid_at: dt.datetime) -> tuple[int, ...]:
    """Mark the document and all its bills paid; returns the bills' ids.

    Call it inside the caller's transaction (the one that records the payment), so that the payment,
    the document and its bills change together or not at all.
    """
    await PaymentDocument.update(
        {PaymentDocument.status: DocumentStatus.paid, PaymentDocument.paid_at: paid_at}
    ).where(PaymentDocument.id == document_id)
    rows = await Bill.raw(
        "UPDATE bill SET status = {}, paid_at = {}"
        " WHERE id IN (SELECT bill FROM payment_document_bill WHERE document = {}) AND status = {}"
        " RETURNING id",
        BillStatus.paid.value,
        paid_at,
        document_id,
        BillStatus.pending.value,
    )
    return tuple(row["id"] for row in rows)
