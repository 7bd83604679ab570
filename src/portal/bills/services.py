"""Bills the viewer may see: account status, My bills (filtered, keyset-paginated), one bill.

Every query joins account_access on the viewer's user id, so a bill of an account the viewer may not see
is simply not found (the routes answer 404).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, NamedTuple

from portal import clock
from portal.banking.cuaderno57 import PaymentCode
from portal.bills import queries
from portal.db import fetch
from portal.db.tables.bills import BillStatus
from portal.db.tables.payments import PaymentKind
from portal.i18n import gettext as _
from portal.i18n import gettext_noop
from portal.viewer import Viewer

PAGE_SIZE = 50
PENDING_SHOWN = 20
"""My bills lists this many pending bills at the bottom (the oldest); the status filters show them all."""
ACCOUNT_CHOICES = 50
"""Up to this many accounts, My bills' "Account" filter is a list to choose from; beyond, a text input."""
STATUSES = {
    "pending": gettext_noop("Pending"),
    "overdue": gettext_noop("Overdue"),
    "paid": gettext_noop("Paid"),
    "direct_debit": gettext_noop("Direct debit"),
    "credit": gettext_noop("Nothing to pay"),
}
"""Each status's label, in English: translate it where it is shown."""


def effective_status(status: str, due_date: dt.date, today: dt.date) -> str:
    """ "Overdue" is derived: a pending bill whose due date has passed."""
    if status == BillStatus.pending and due_date < today:
        return "overdue"
    return status


class BillRow(NamedTuple):
    """A bill as lists show it. A named tuple: My bills builds 70 of them per page, at half a dataclass's
    cost."""

    id: int
    number: str
    account_number: str
    period_start: dt.date
    period_end: dt.date
    issue_date: dt.date
    due_date: dt.date
    total_cents: int
    status: str

    @property
    def payable(self) -> bool:
        return self.status in {"pending", "overdue"}


@dataclass(frozen=True)
class BillFilters:
    account: str = ""
    period_from: dt.date | None = None
    period_to: dt.date | None = None
    status: str = ""


@dataclass(frozen=True)
class AccountChoice:
    number: str
    supply_address: str


@dataclass(frozen=True)
class BillPage:
    bills: list[BillRow]
    next_cursor: str | None
    pending: list[BillRow]
    """The oldest pending (or overdue) bills, at most PENDING_SHOWN."""
    more_pending: bool = False
    """Whether the viewer has more pending bills than ``pending`` lists."""
    accounts: list[AccountChoice] | None = None
    """The accounts the "Account" filter offers, by number; None when the viewer sees more than
    ACCOUNT_CHOICES of them (the filter is then typed, see :func:`sees_account`)."""


def _row(row: dict[str, Any], today: dt.date) -> BillRow:
    return BillRow(
        row["id"],
        row["number"],
        row["account_number"],
        row["period_start"],
        row["period_end"],
        row["issue_date"],
        row["due_date"],
        row["total_cents"],
        effective_status(row["status"], row["due_date"], today),
    )


def parse_cursor(cursor: str) -> tuple[dt.date, int] | None:
    """A cursor is "<period start>_<id>" of the last row shown; anything else starts from the top."""
    start, _, bill_id = cursor.partition("_")
    try:
        return dt.date.fromisoformat(start), int(bill_id)
    except ValueError:
        return None


def filter_where(filters: BillFilters, today: dt.date) -> tuple[list[str], list[Any]]:
    """My bills' filters as conditions on ``bill b`` and their arguments."""
    where: list[str] = []
    args: list[Any] = []
    if filters.account:
        where.append("b.account = (SELECT id FROM account WHERE number = {})")
        args.append(filters.account)
    if filters.period_from:
        where.append("b.period_end >= {}")
        args.append(filters.period_from)
    if filters.period_to:
        where.append("b.period_start <= {}")
        args.append(filters.period_to)
    if filters.status == "overdue":
        where.append("b.status = 'pending' AND b.due_date < {}")
        args.append(today)
    elif filters.status == "pending":
        where.append("b.status = 'pending' AND b.due_date >= {}")
        args.append(today)
    elif filters.status in {"paid", "direct_debit", "credit"}:
        where.append("b.status = {}")
        args.append(filters.status)
    return where, args


async def my_bills(
    viewer: Viewer,
    filters: BillFilters,
    cursor: str = "",
    today: dt.date | None = None,
) -> BillPage:
    """One page of the viewer's bills (newest first, from the keyset ``cursor``) and what the My bills
    page shows beside them (their oldest pending bills, the "Account" filter's choices): one query, as
    every round trip to the database costs the page more than the few rows it adds."""
    today = today or clock.today()
    where, args = filter_where(filters, today)
    page_where = list(where)
    page_args = list(args)
    position = parse_cursor(cursor)
    if position:
        # Written into the statement (parsed values), so that each page gets its own plan (bench/README).
        start, last_id = position
        page_where.append(f"(b.period_start, b.id) < ('{start.isoformat()}'::date, {int(last_id)})")
    select = (
        "SELECT b.id, b.account, b.number, b.period_start, b.period_end, b.issue_date, b.due_date,"
        " b.total_cents, b.status, '%s' AS listed" + queries.VISIBLE
    )
    # The user id (an int, from the session) is written into the statement: a plan per user (bench/README).
    user_id = int(viewer.user_id)
    parts = (
        "("
        + select % ("page", user_id)
        + (" WHERE " + " AND ".join(page_where) if page_where else "")
        + f" ORDER BY b.period_start DESC, b.id DESC LIMIT {PAGE_SIZE + 1})"
    )
    sql_args: list[Any] = list(page_args)
    # The oldest pending bills; bill_pending_period serves it whether the viewer sees 4 accounts or 20,000.
    parts += (
        " UNION ALL ("
        + select % ("pending", user_id)
        + f" WHERE b.status = 'pending' ORDER BY b.period_start, b.id LIMIT {PENDING_SHOWN + 1})"
    )
    # The account numbers are joined to the few rows chosen, not inside the walk over the bills.
    sql = queries.WITH_NUMBERS + parts + ") p JOIN account a ON a.id = p.account"
    # The choices stay outside that join (bench/README).
    sql += " UNION ALL (" + queries.CHOICES % (user_id, ACCOUNT_CHOICES + 1) + ")"
    rows = await fetch(sql, *sql_args)
    choices = sorted(
        (
            AccountChoice(row["account_number"], row["supply_address"])
            for row in rows
            if row["listed"] == "account"
        ),
        key=lambda choice: choice.number,
    )  # a UNION does not keep the order
    rows = [row for row in rows if row["listed"] != "account"]
    rows.sort(key=lambda row: (row["period_start"], row["id"]))
    page_rows = [row for row in reversed(rows) if row["listed"] == "page"]
    pending_rows = [row for row in rows if row["listed"] == "pending"]
    bills = [_row(row, today) for row in page_rows[:PAGE_SIZE]]
    next_cursor = None
    if len(page_rows) > PAGE_SIZE:
        last = bills[-1]
        next_cursor = f"{last.period_start.isoformat()}_{last.id}"
    pending = [_row(row, today) for row in pending_rows[:PENDING_SHOWN]]
    return BillPage(
        bills,
        next_cursor,
        pending,
        more_pending=len(pending_rows) > PENDING_SHOWN,
        accounts=choices if len(choices) <= ACCOUNT_CHOICES else None,
    )


async def sees_account(viewer: Viewer, number: str | None = None, *, account_id: int | None = None) -> bool:
    """Whether the viewer may see the account with this number (as typed in a form), or this id."""
    rows = await fetch(
        'SELECT 1 FROM account_access x JOIN account a ON a.id = x.account WHERE x."user" = {}'
        " AND (a.number = {} OR a.id = {})",
        viewer.user_id,
        number,
        account_id,
    )
    return bool(rows)


@dataclass(frozen=True)
class BillDetail:
    row: BillRow
    account_id: int
    holder_name: str
    holder_identity: str
    supply_address: str
    tariff: str
    reading_previous: int
    reading_current: int
    consumption_m3: int
    lines: list[dict[str, Any]]
    taxable_cents: int
    vat_cents: int
    payment_suffix: str | None
    payment_reference: str | None
    payment_identification: str | None
    """The Cuaderno 57 payment data; None for a credit bill, which has nothing to collect."""
    payment_method: str
    iban_masked: str
    paid_at: dt.datetime | None
    paid_channel: str
    """card, bank_counter, direct_debit, transfer or other; "" when nobody said (see Bill.paid_channel)."""

    def payment_code(self, issuer_code: str) -> PaymentCode | None:
        """The bill's Cuaderno 57 code, as printed on it; None for a credit bill, which has none."""
        suffix, reference, identification = (
            self.payment_suffix,
            self.payment_reference,
            self.payment_identification,
        )
        if suffix is None or reference is None or identification is None:
            return None
        return PaymentCode(issuer_code, suffix, reference, identification, self.row.total_cents)


async def get_bill(viewer: Viewer, bill_id: int, today: dt.date | None = None) -> BillDetail | None:
    """One bill, if the viewer may see its account; None otherwise (the caller answers 404)."""
    rows = await fetch(
        queries.DETAIL + ' JOIN account_access x ON x.account = a.id AND x."user" = {} WHERE b.id = {}',
        viewer.user_id,
        bill_id,
    )
    return _detail(rows[0], today) if rows else None


async def get_bill_for_job(bill_id: int) -> BillDetail | None:
    """One bill whoever may see it: for jobs, which act on work a scoped request already checked."""
    rows = await fetch(queries.DETAIL + " WHERE b.id = {}", bill_id)
    return _detail(rows[0], None) if rows else None


def _detail(row: dict[str, Any], today: dt.date | None) -> BillDetail:
    return BillDetail(
        row=_row(row, today or clock.today()),
        account_id=row["account"],
        holder_name=row["holder_name"],
        holder_identity=row["holder_identity"],
        supply_address=row["supply_address"],
        tariff=row["tariff"],
        reading_previous=row["reading_previous"],
        reading_current=row["reading_current"],
        consumption_m3=row["consumption_m3"],
        lines=row["lines"] if isinstance(row["lines"], list) else json.loads(row["lines"]),
        taxable_cents=row["taxable_cents"],
        vat_cents=row["vat_cents"],
        payment_suffix=row["payment_suffix"],
        payment_reference=row["payment_reference"],
        payment_identification=row["payment_identification"],
        payment_method=row["payment_method"],
        iban_masked=row["iban_masked"],
        paid_at=row["paid_at"],
        paid_channel=row["paid_channel"],
    )


@dataclass(frozen=True)
class AccountStatus:
    number: str
    supply_address: str
    holder: str
    payment_method: str
    iban_masked: str
    online_bill: bool
    pending_cents: int
    pending_count: int
    overdue_count: int
    next_due_date: dt.date | None
    """The earliest due date still to come of its pending bills (overdue ones are counted apart)."""
    last_bill_id: int | None
    last_bill_number: str | None
    last_bill_cents: int | None
    last_payment_at: dt.datetime | None = None
    """The latest payment of any channel: a card payment in the portal (its order, for the receipt), or
    a bill paid elsewhere as the billing system reported it (the bill)."""
    last_payment_cents: int | None = None
    last_payment_channel: str = ""
    last_payment_order: str | None = None
    last_payment_bill_id: int | None = None


@dataclass(frozen=True)
class AccountTotals:
    """What all the viewer's accounts add up to (the home page's summary for administrators)."""

    accounts: int
    pending_cents: int
    pending_count: int
    overdue_count: int

    @classmethod
    def of(cls, accounts: list[AccountStatus]) -> AccountTotals:
        return cls(
            len(accounts),
            sum(account.pending_cents for account in accounts),
            sum(account.pending_count for account in accounts),
            sum(account.overdue_count for account in accounts),
        )


async def account_status(viewer: Viewer, today: dt.date | None = None) -> list[AccountStatus]:
    """Each account the viewer may see, at a glance: what is pending and when, the last bill, how it pays."""
    today = today or clock.today()
    rows = await fetch(
        "SELECT a.number, a.supply_address, c.name AS holder, a.payment_method, a.iban_masked, a.online_bill,"  # noqa: S608
        " COALESCE(SUM(b.total_cents) FILTER (WHERE b.status = 'pending'), 0)::bigint AS pending_cents,"
        " COUNT(b.id) FILTER (WHERE b.status = 'pending') AS pending_count,"
        " COUNT(b.id) FILTER (WHERE b.status = 'pending' AND b.due_date < {}) AS overdue_count,"
        " MIN(b.due_date) FILTER (WHERE b.status = 'pending' AND b.due_date >= {}) AS next_due_date,"
        " last.id AS last_bill_id, last.number AS last_bill_number, last.total_cents AS last_bill_cents,"
        " paid.paid_at AS last_payment_at, paid.amount_cents AS last_payment_cents,"
        " COALESCE(paid.channel, '') AS last_payment_channel, paid.order_id AS last_payment_order,"
        " paid.bill_id AS last_payment_bill_id"
        + queries.VIEWER_ACCOUNTS
        + " LEFT JOIN bill b ON b.account = a.id"
        " LEFT JOIN LATERAL (SELECT id, number, total_cents FROM bill WHERE account = a.id"
        "   ORDER BY period_start DESC, id DESC LIMIT 1) last ON true"
        # The latest card payment (one order may pay a document's bills) against the latest bill paid
        # another way; a card payment to refund paid nothing.
        " LEFT JOIN LATERAL (SELECT * FROM ("
        "   (SELECT notified_at AS paid_at, amount_cents, 'card' AS channel, order_id, NULL::int AS bill_id"
        "     FROM payment WHERE account = a.id AND state = 'authorised' AND NOT needs_refund"
        "     ORDER BY notified_at DESC, id DESC LIMIT 1)"
        "   UNION ALL (SELECT paid_at, total_cents, paid_channel, NULL, id FROM bill WHERE account = a.id"
        "     AND status = 'paid' AND paid_channel <> 'card' AND paid_at IS NOT NULL"
        "     ORDER BY paid_at DESC, id DESC LIMIT 1)"
        " ) latest ORDER BY paid_at DESC LIMIT 1) paid ON true"
        ' WHERE x."user" = {}'
        " GROUP BY a.id, c.name, last.id, last.number, last.total_cents, paid.paid_at, paid.amount_cents,"
        " paid.channel, paid.order_id, paid.bill_id ORDER BY c.name, a.number",
        today,
        today,
        viewer.user_id,
    )
    return [AccountStatus(**row) for row in rows]


# --- the accounts a viewer may see, and a bill's payments -------------------------------------------------


@dataclass(frozen=True)
class VisibleAccount:
    """An account the viewer may see, and the viewer's role on it."""

    id: int
    number: str
    supply_address: str
    holder: str
    role: str


async def visible_accounts(viewer: Viewer) -> list[VisibleAccount]:
    rows = await fetch(
        queries.VISIBLE_ACCOUNT + queries.VIEWER_ACCOUNTS + ' WHERE x."user" = {} ORDER BY c.name, a.number',
        viewer.user_id,
    )
    return [VisibleAccount(**row) for row in rows]


@dataclass(frozen=True)
class BillPayment:
    """A card payment of a bill, by itself or in a bills-due document, as the bill's page lists it."""

    order_id: str
    kind: str
    reference: str
    bill_number: str | None
    amount_cents: int
    state: str
    created_at: dt.datetime
    notified_at: dt.datetime | None

    @property
    def description(self) -> str:
        if self.kind == PaymentKind.bill:
            return _("Bill %(number)s") % {"number": self.bill_number}
        return _("Bills due document %(reference)s") % {"reference": self.reference}


async def bill_payments(viewer: Viewer, bill_id: int) -> list[BillPayment]:
    """Payments of a bill the viewer may see, by itself or in a bills-due document, newest first: those the
    bank answered (authorised or declined)."""
    rows = await fetch(
        "SELECT p.order_id, p.kind, p.reference, b.number AS bill_number, p.amount_cents, p.state,"
        " p.created_at, p.notified_at FROM payment p LEFT JOIN bill b ON b.id = p.bill"
        " WHERE p.state IN ('authorised', 'declined')"
        " AND (p.bill = {} OR p.document IN (SELECT document FROM payment_document_bill WHERE bill = {}))"
        ' AND EXISTS (SELECT 1 FROM account_access x WHERE x.account = p.account AND x."user" = {})'
        " ORDER BY p.created_at DESC, p.id DESC",  # the id orders payments made at one instant
        bill_id,
        bill_id,
        viewer.user_id,
    )
    return [BillPayment(**row) for row in rows]
