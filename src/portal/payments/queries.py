"""The constant SQL fragments of payments: the values always go in as parameters."""

from __future__ import annotations

BILL = (
    "SELECT b.id, b.account, b.number, b.status, b.total_cents, b.payment_reference, b.payment_suffix,"
    " b.payment_identification, b.period_start, b.period_end, b.due_date FROM bill b"
)


PAYMENT_COLUMNS = (
    "SELECT p.id, p.order_id, p.kind, p.reference, p.amount_cents, p.email, p.state, p.response_code,"
    " p.authorisation_code, p.card_masked, p.created_at, p.notified_at, dr.key AS draft_key,"
    " p.bill AS bill_id, p.document AS document_id, b.number AS bill_number, b.period_start, b.period_end,"
    " d.deadline, p.needs_refund, p.language,"
    # Whether the bill (or one of the document's bills) shows a card payment: for a payment to refund, the
    # other card payment that paid it first (the billing import never records "card").
    " CASE WHEN p.document IS NULL THEN COALESCE(b.paid_channel = 'card', FALSE) ELSE EXISTS (SELECT 1"
    " FROM payment_document_bill l JOIN bill x ON x.id = l.bill WHERE l.document = p.document"
    " AND x.paid_channel = 'card') END AS paid_by_card_before,"
    " CASE WHEN p.document IS NULL THEN 1 ELSE"
    " (SELECT COUNT(*) FROM payment_document_bill WHERE document = p.document) END AS bill_count"
)
PAYMENT_FROM = (
    " FROM payment p LEFT JOIN bill b ON b.id = p.bill LEFT JOIN payment_document d ON d.id = p.document"
    " LEFT JOIN payment_draft dr ON dr.id = p.draft"
)
PAYMENT = PAYMENT_COLUMNS + PAYMENT_FROM
