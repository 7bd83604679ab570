"""Bills, with their lines and the Cuaderno 57 payment data printed at the bottom."""

from enum import StrEnum

from piccolo.columns import JSONB, BigInt, Date, ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.table import Table

from portal.db.tables.accounts import Account
from portal.db.tables.imports import ImportRun


class BillStatus(StrEnum):
    """Stored status. "Overdue" is not stored: it is a pending bill whose due date has passed
    (see `portal.bills` once it exists), so it never goes stale waiting for a job to flip it."""

    pending = "pending"
    paid = "paid"
    direct_debit = "direct_debit"
    credit = "credit"
    """A bill whose total is 0 or less (a corrective bill that gives money back): nothing to collect, so
    it has no payment code and is never pending, whatever the billing system said."""


class Bill(Table, tablename="bill"):
    id: Serial  # Piccolo adds the primary key; declared for type checkers
    number = Varchar(length=20, unique=True)
    account = ForeignKey(references=Account, null=False)
    period_start = Date()
    period_end = Date()
    issue_date = Date()
    due_date = Date()
    reading_previous = Integer()
    """Meter reading in m³ at the start of the period."""
    reading_current = Integer()
    consumption_m3 = Integer()
    lines = JSONB()
    """[{"kind": "fixed"|"consumption"|"sewage"|"vat", "description", "quantity", "unit_price_cents",
    "amount_cents"}]: exactly what the bill prints, in order."""
    taxable_cents = BigInt()
    vat_cents = BigInt()
    total_cents = BigInt()
    status = Varchar(length=20, choices=BillStatus)
    paid_at = Timestamptz(null=True, default=None)
    paid_channel = Varchar(length=20, default="")
    """How it was paid: card (through the portal) or, as the billing system reports payments made
    elsewhere, bank_counter, direct_debit, transfer or other; "" when nobody said."""
    # Cuaderno 57 payment data (../shared/specs/payment-codes.md); issuer and CPR are settings. NULL for
    # a credit bill: a code cannot carry an amount of 0 or less, and there is nothing to collect.
    payment_suffix = Varchar(length=3, null=True, default=None)
    payment_reference = Varchar(length=13, null=True, default=None, unique=True)
    """11-digit reference followed by its 2 check digits."""
    payment_identification = Varchar(length=6, null=True, default=None)
    created_at = Timestamptz()
    import_run = ForeignKey(references=ImportRun, null=True, default=None, on_delete=OnDelete.set_null)
    """The `portal import` run that issued it (its PDFs and "new bill" emails follow that run)."""
