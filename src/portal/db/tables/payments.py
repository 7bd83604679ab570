"""Card payments: drafts of the "pay a bill" journey, one row per gateway order, and every notification
the gateway sent."""

from enum import StrEnum

from piccolo.columns import BigInt, Boolean, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.db.tables.accounts import Account
from portal.db.tables.bills import Bill
from portal.db.tables.payment_documents import PaymentDocument
from portal.db.tables.users import User


class PaymentKind(StrEnum):
    bill = "bill"
    document = "document"


class PaymentState(StrEnum):
    open = "open"
    """Sent to the gateway (or about to be); only a signed notification moves it on."""
    authorised = "authorised"
    declined = "declined"
    abandoned = "abandoned"
    """Replaced by a newer order for the same bill (another browser, or left too long at the gateway).
    A late authorisation for it is still honoured: the money was taken."""


class PaymentDraft(Table, tablename="payment_draft"):
    """A bill or document found by its code, waiting for "Start payment". Addressed by a random key in
    the URL and bound to the browser (payer cookie) or signed-in user that found it."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers
    key = Varchar(length=32, unique=True)
    browser_hash = Varchar(length=64, index=True)
    user = ForeignKey(references=User, null=True, default=None)
    kind = Varchar(length=10, choices=PaymentKind)
    bill = ForeignKey(references=Bill, null=True, default=None)
    document = ForeignKey(references=PaymentDocument, null=True, default=None)
    email = Text(default="")
    payment = Integer(null=True, default=None)
    """The latest payment started from this draft (no foreign key: payments reference drafts)."""
    created_at = Timestamptz()
    expires_at = Timestamptz(index=True)


class Payment(Table, tablename="payment"):
    """One gateway order. The amount is the bill's or document's, read on the server when it starts."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers
    order_id = Varchar(length=12, unique=True)
    kind = Varchar(length=10, choices=PaymentKind)
    bill = ForeignKey(references=Bill, null=True, default=None, index=True)
    # Indexed in the raw-DDL migration: Piccolo would name the index "payment_document", like the table.
    document = ForeignKey(references=PaymentDocument, null=True, default=None)
    account = ForeignKey(references=Account, null=False, index=True)
    """The account of the bill or document (its history shows the payment; its users may see it)."""
    reference = Varchar(length=13)
    """The Cuaderno 57 reference paid (bill's or document's), kept for the receipt."""
    amount_cents = BigInt()
    email = Text(default="")
    user = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    browser_hash = Varchar(length=64)
    draft = ForeignKey(references=PaymentDraft, null=True, default=None, on_delete=OnDelete.set_null)
    """Kept for "Try again"; drafts are purged after a few hours, payments are not."""
    state = Varchar(length=12, choices=PaymentState, default=PaymentState.open)
    response_code = Integer(null=True, default=None)
    authorisation_code = Varchar(length=12, default="")
    card_masked = Varchar(length=32, default="")
    """As the gateway sends it (e.g. 454881******0004): never more than that."""
    needs_refund = Boolean(default=False)
    """Authorised after the bill was already paid another way: an operator must refund it."""
    refunded_at = Timestamptz(null=True, default=None)
    """When an operator recorded the refund (`portal payments refunded ORDER`)."""
    created_at = Timestamptz()
    updated_at = Timestamptz()
    notified_at = Timestamptz(null=True, default=None)
    language = Varchar(length=8, default="en")
    """The language the payer paid in: the receipt's email is in it."""


class PaymentNotification(Table, tablename="payment_notification"):
    """Every notification received, whatever became of it (the payment log)."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers
    payment = ForeignKey(references=Payment, null=True, default=None, index=True, on_delete=OnDelete.set_null)
    order_id = Varchar(length=12, default="")
    outcome = Varchar(length=40)
    response_code = Integer(null=True, default=None)
    amount_cents = BigInt(null=True, default=None)
    received_at = Timestamptz()
