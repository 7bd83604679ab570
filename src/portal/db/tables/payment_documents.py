"""Bills-due documents: one Cuaderno 57 code (suffix ≥ 500, deadline as identification) for several bills."""

from enum import StrEnum

from piccolo.columns import BigInt, Date, ForeignKey, Serial, Timestamptz, Varchar
from piccolo.table import Table

from portal.db.tables.accounts import Account
from portal.db.tables.bills import Bill
from portal.db.tables.users import User


class DocumentStatus(StrEnum):
    """Stored status. "Expired" (past the deadline) and "superseded" (one of its bills was paid on its
    own, so the document's total is no longer owed) are derived when read, like a bill's "overdue".
    A draft is a selection waiting for its confirmation page (without JavaScript): it has no code yet."""

    draft = "draft"
    pending = "pending"
    paid = "paid"


class PaymentDocument(Table, tablename="payment_document"):
    id: Serial  # Piccolo adds the primary key; declared for type checkers
    account = ForeignKey(references=Account, null=False, index=True)
    created_by = ForeignKey(references=User, null=False)
    deadline = Date()
    """The last day the bank accepts the code; printed as the identification (DDMMYY)."""
    total_cents = BigInt()
    status = Varchar(length=20, choices=DocumentStatus, default=DocumentStatus.pending)
    paid_at = Timestamptz(null=True, default=None)
    payment_suffix = Varchar(length=3)
    payment_reference = Varchar(length=13, null=True, default=None, unique=True)
    """11-digit reference (the document id) and its 2 check digits; set right after the insert."""
    payment_identification = Varchar(length=6)
    created_at = Timestamptz()


class PaymentDocumentBill(Table, tablename="payment_document_bill"):
    id: Serial  # Piccolo adds the primary key; declared for type checkers
    document = ForeignKey(references=PaymentDocument, null=False, index=True)
    bill = ForeignKey(references=Bill, null=False, index=True)
    amount_cents = BigInt()
    """The bill's total when the document was made (bills never change; kept so the document is whole)."""
