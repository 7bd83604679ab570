"""The constant SQL fragments of bills-due documents: the values always go in as parameters."""

from __future__ import annotations

DOCUMENTS = (
    "SELECT d.id, d.account, a.number AS account_number, c.name AS holder, a.supply_address, d.created_at,"
    " d.deadline, d.total_cents, d.status, d.payment_suffix, d.payment_reference, d.payment_identification,"
    " (SELECT COUNT(*) FROM payment_document_bill pdb JOIN bill pb ON pb.id = pdb.bill"
    "   WHERE pdb.document = d.id AND pb.status <> 'pending' AND d.status <> 'paid') AS paid_apart,"
    " (SELECT COUNT(*) FROM payment_document_bill pdb JOIN bill pb ON pb.id = pdb.bill"
    "   WHERE pdb.document = d.id AND pb.status <> 'paid') AS unpaid,"
    " ARRAY(SELECT bill FROM payment_document_bill WHERE document = d.id ORDER BY bill) AS bill_ids"
    " FROM payment_document d JOIN account a ON a.id = d.account JOIN customer c ON c.id = a.customer"
)
"""Every read of a confirmed document starts here; callers add joins and conditions after it. ``paid_apart``
counts its bills that were paid, but not through it."""
