"""Checked records into the database, a batch of lines per transaction.

A batch is read whole first: every line is decoded and checked (`checks`), then what it refers to is
looked up in one query per kind, then the lines are walked in file order, so a record may refer to one
defined earlier in the file (in this batch or an earlier one, already committed) or already in the
portal. Only then is anything written: customers and accounts upserted with multi-row statements over
arrays, new bills copied (COPY), payments applied. A line is either written whole or rejected whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import msgspec

from portal import clock
from portal.banking.cuaderno57 import normalise_digits
from portal.banking.identity import normalise_identity
from portal.db.tables.bills import BillStatus
from portal.imports import checks
from portal.imports.checks import AccountRow, BillRow, CustomerRow, PaymentRow
from portal.imports.reader import Line
from portal.imports.records import (
    AccountRecord,
    BillRecord,
    CustomerRecord,
    LineError,
    Record,
    decode,
)
from portal.settings import IssuerSettings

BATCH = 2000
"""Lines per transaction: enough that the per-statement cost vanishes, few enough to keep memory flat."""

_BILL_COLUMNS = (*checks.BILL_COLUMNS, "account", "created_at", "import_run")
_IMMUTABLE = "bills are immutable: issue a corrective bill"
_LOCK = 0x706F7274616C  # "portal"


@dataclass
class Counts:
    customers: int = 0
    customers_updated: int = 0
    accounts: int = 0
    accounts_updated: int = 0
    bills: int = 0
    payments: int = 0
    skipped: int = 0
    rejected: int = 0

    def summary(self) -> str:
        def updated(n: int) -> str:
            return f" ({n} updated)" if n else ""

        return (
            f"imported {self.bills} bills, {self.customers} customers{updated(self.customers_updated)},"
            f" {self.accounts} accounts{updated(self.accounts_updated)}, {self.payments} payments;"
            f" skipped {self.skipped}; rejected {self.rejected}"
        )

    @property
    def changed(self) -> int:
        return self.customers + self.accounts + self.bills + self.payments


@dataclass(frozen=True, slots=True)
class Rejection:
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"


@dataclass
class _Known:
    """What the batch's lines refer to, from the database, updated as accepted lines are walked."""

    customers: set[str]
    holders: dict[str, str]
    """Account number → its holder's identity."""
    ids: dict[str, int]
    """Account number → its id: the accounts in the database, and those the batch inserts."""
    bills: dict[str, dict[str, Any]]
    """Bill number → its content tuple, total, whether it is paid or a credit bill, and its channel."""
    references: dict[str, str]
    """13-digit payment reference → bill number."""


@dataclass
class _Accepted:
    """What a batch writes. A customer or account given twice in a batch is written as the later line
    says (an upsert touches a row once per statement); the earlier line counts as skipped."""

    customers: dict[str, CustomerRow] = field(default_factory=dict)
    accounts: dict[str, AccountRow] = field(default_factory=dict)
    bills: list[BillRow] = field(default_factory=list)
    payments: list[PaymentRow] = field(default_factory=list)


@dataclass
class Checked:
    """A batch's lines once decoded and checked: (line, text, row) for each good one, (line, error, key)
    for each rejected one, in file order."""

    parsed: list[tuple[int, str, Any]] = field(default_factory=list)
    rejected: list[tuple[int, LineError, tuple[str, str] | None]] = field(default_factory=list)


class Importer:
    """Imports batches of lines on one connection; remembers rejected keys so that later lines that
    refer to them are rejected with that reason (memory grows with rejections only)."""

    def __init__(
        self,
        connection: asyncpg.Connection,
        issuer: IssuerSettings,
        run_id: int | None,
        on_reject: Callable[[Rejection], None],
        on_warning: Callable[[int, str], None],
    ) -> None:
        self.connection = connection
        self.issuer = issuer
        self.run_id = run_id
        self.on_reject = on_reject
        self.on_warning = on_warning
        self.counts = Counts()
        self._rejected: dict[tuple[str, str], int] = {}
        """(type, key) → the line that was rejected."""

    def _reject(
        self, rejections: list[Rejection], number: int, error: LineError, key: tuple[str, str] | None
    ) -> None:
        self.counts.rejected += 1
        if key is not None:
            self._rejected[key] = number
        rejections.append(Rejection(number, error.field, error.reason))

    def _missing(self, kind: str, key: str, field_name: str) -> LineError:
        return self._refused(kind, key, field_name) or LineError(
            field_name, f"no {kind} {key} in the portal or earlier in the file"
        )

    def _refused(self, kind: str, key: str, field_name: str) -> LineError | None:
        """Why a line that refers to a record whose last line was rejected is rejected too, even when
        the portal has that record: an account whose move to another holder was refused must not take
        the new holder's bills into the old holder's My bills."""
        line = self._rejected.get((kind, key))
        if line is not None:
            return LineError(field_name, f"{kind} {key} was rejected on line {line}")
        return None

    def check(self, lines: Iterable[Line]) -> Checked:
        """Decode and check a batch's lines, touching neither the database nor this importer's state, so
        that the next batch can be checked (in a thread) while this one is written."""
        checked = Checked()
        for line in lines:
            try:
                if line.error is not None:
                    raise line.error
                record = _decode(line)
                checked.parsed.append((line.number, line.text, self._check(record)))
            except LineError as exc:
                checked.rejected.append((line.number, exc, _key_of(line.text)))
        return checked

    async def write(self, checked: Checked) -> None:
        """Walk a checked batch's lines and write them in one transaction, then report its rejections in
        file order (those of the checks and those of the walk interleaved, as the lines are)."""
        rejections: list[Rejection] = []
        if not checked.parsed:
            for number, error, key in checked.rejected:
                self._reject(rejections, number, error, key)
        else:
            async with self.connection.transaction():
                # Imports running at once take turns batch by batch, each seeing what the other committed.
                await self.connection.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
                known = await self._lookup(checked.parsed)
                accepted = _Accepted()
                # In file order, the checks' rejections among the others: a line refers to what the
                # lines before it left rejected (or accepted again), never to a later line's verdict.
                failed = iter(checked.rejected)
                ahead = next(failed, None)
                for number, text, row in checked.parsed:
                    while ahead is not None and ahead[0] < number:
                        self._reject(rejections, *ahead)
                        ahead = next(failed, None)
                    try:
                        self._walk(number, row, known, accepted)
                    except LineError as exc:
                        self._reject(rejections, number, exc, _key_of(text))
                for rest in [ahead, *failed] if ahead is not None else []:
                    self._reject(rejections, *rest)
                await self._write(accepted, known.ids)
        for rejection in sorted(rejections, key=lambda rejection: rejection.line):
            self.on_reject(rejection)

    def _check(self, record: Record) -> Any:
        if isinstance(record, CustomerRecord):
            return checks.customer(record)
        if isinstance(record, AccountRecord):
            return checks.account(record)
        if isinstance(record, BillRecord):
            return checks.bill(record, self.issuer)
        return checks.payment(record)

    async def _lookup(self, parsed: list[tuple[int, str, Any]]) -> _Known:
        rows = [row for _, _, row in parsed]
        identities = {r.identity_number for r in rows if isinstance(r, CustomerRow)}
        identities |= {r.holder for r in rows if isinstance(r, AccountRow)}
        accounts = {r.number for r in rows if isinstance(r, AccountRow)} | {
            r.account for r in rows if isinstance(r, BillRow)
        }
        bills = {r.number for r in rows if isinstance(r, BillRow)} | {
            r.bill for r in rows if isinstance(r, PaymentRow)
        }
        references = [r.code.reference for r in rows if isinstance(r, BillRow) and r.code is not None]
        customers, holders, ids, taken = set(), {}, {}, {}
        # One round trip for the keys (each one waits for the GIL and the database's scheduling).
        for kind, key, value, account_id in await self.connection.fetch(
            _KEYS_KNOWN, list(identities), list(accounts), references
        ):
            if kind == "customer":
                customers.add(key)
            elif kind == "account":
                holders[key], ids[key] = value, account_id
            else:
                taken[key] = value
        stored = await self.connection.fetch(_STORED_BILLS, list(bills))
        return _Known(customers, holders, ids, {row["number"]: _stored_bill(row) for row in stored}, taken)

    def _walk(self, number: int, row: Any, known: _Known, accepted: _Accepted) -> None:
        if isinstance(row, CustomerRow):
            known.customers.add(row.identity_number)
            self._rejected.pop(("customer", row.identity_number), None)
            self.counts.skipped += row.identity_number in accepted.customers
            accepted.customers[row.identity_number] = row
        elif isinstance(row, AccountRow):
            if refused := self._refused("customer", row.holder, "holder"):
                raise refused
            if row.holder not in known.customers:
                raise self._missing("customer", row.holder, "holder")
            holder = known.holders.get(row.number)
            if holder is not None and holder != row.holder:
                raise LineError(
                    "holder", f"account {row.number} belongs to {holder}: it never moves to another holder"
                )
            known.holders[row.number] = row.holder
            self._rejected.pop(("account", row.number), None)
            self.counts.skipped += row.number in accepted.accounts
            accepted.accounts[row.number] = row
        elif isinstance(row, BillRow):
            self._walk_bill(row, known, accepted)
        else:
            self._walk_payment(number, row, known, accepted)

    def _walk_bill(self, row: BillRow, known: _Known, accepted: _Accepted) -> None:
        if refused := self._refused("account", row.account, "account"):
            raise refused
        if row.account not in known.holders:
            raise self._missing("account", row.account, "account")
        stored = known.bills.get(row.number)
        if stored is not None:
            if stored["content"] != row.content():
                raise LineError("number", f"bill {row.number} exists with other content: {_IMMUTABLE}")
            self.counts.skipped += 1
            return
        if row.code is not None:  # a credit bill has no code
            other = known.references.get(row.code.reference)
            if other is not None:
                raise LineError("payment_reference", f"{row.code.reference[:11]} is bill {other}'s already")
            known.references[row.code.reference] = row.number
        known.bills[row.number] = {
            "content": row.content(), "total": row.total_cents, "paid": row.status == "paid", "channel": "",
            "credit": row.status == BillStatus.credit,
        }  # fmt: skip
        accepted.bills.append(row)

    def _walk_payment(self, number: int, row: PaymentRow, known: _Known, accepted: _Accepted) -> None:
        bill = known.bills.get(row.bill)
        if bill is None:
            raise self._missing("bill", row.bill, "bill")
        if bill["credit"]:
            raise LineError("bill", f"bill {row.bill} is a credit bill: there is nothing to pay")
        if row.amount_cents != bill["total"]:
            raise LineError(
                "amount", f"{row.amount_cents / 100:.2f} is not the bill's total ({bill['total'] / 100:.2f})"
            )
        if bill["paid"]:
            self.counts.skipped += 1
            if bill["channel"] != row.channel:
                paid_by = bill["channel"] or "another way"
                self.on_warning(
                    number, f"bill {row.bill} was already paid ({paid_by}): this payment changes nothing"
                )
            return
        bill["paid"], bill["channel"] = True, row.channel
        accepted.payments.append(row)

    async def _write(self, accepted: _Accepted, ids: dict[str, int]) -> None:
        if accepted.customers:
            new, updated = await self._upsert(_CUSTOMERS, list(accepted.customers.values()))
            self.counts.customers += len(new) + updated
            self.counts.customers_updated += updated
            self.counts.skipped += len(accepted.customers) - len(new) - updated
        if accepted.accounts:
            new, updated = await self._upsert(_ACCOUNTS, list(accepted.accounts.values()))
            ids.update((row[0], row[1]) for row in new)
            if new:
                await self.connection.execute(_GRANT_NEW_ACCOUNTS, [row[1] for row in new])
            self.counts.accounts += len(new) + updated
            self.counts.accounts_updated += updated
            self.counts.skipped += len(accepted.accounts) - len(new) - updated
        if accepted.bills:
            await self._copy_bills(accepted.bills, ids)
            self.counts.bills += len(accepted.bills)
        if accepted.payments:
            # A bills-due document whose bills are now all paid reads as paid (payment_documents), so its
            # code takes no money again: a card payment already started for it is flagged for refund.
            await self.connection.execute(
                "UPDATE bill SET status = 'paid', paid_at = u.paid_at, paid_channel = u.channel"
                " FROM unnest($1::text[], $2::timestamptz[], $3::text[]) AS u(number, paid_at, channel)"
                " WHERE bill.number = u.number AND bill.status <> 'paid'",
                *_columns(accepted.payments, ("bill", "paid_at", "channel")),
            )
            self.counts.payments += len(accepted.payments)

    async def _upsert(
        self, statements: tuple[str, str, tuple[str, ...]], rows: list[Any]
    ) -> tuple[list[asyncpg.Record], int]:
        """Insert the new rows, then update the existing ones that differ: (the new rows as the insert
        returns them, key first; updated)."""
        insert, update, fields = statements
        arrays = _columns(rows, fields)
        now = clock.now()
        inserted = await self.connection.fetch(insert, now, *arrays)
        if len(inserted) == len(rows):  # all new: nothing to update (the update scans the accounts)
            return inserted, 0
        updated = await self.connection.fetch(update, [row[0] for row in inserted], *arrays)
        return inserted, len(updated)

    async def _copy_bills(self, bills: list[BillRow], ids: dict[str, int]) -> None:
        """`ids` has every bill's account: a bill is accepted only for an account the lookup found (under
        the import lock, nobody else adds one meanwhile) or that this batch inserts."""
        now, run_id = clock.now(), self.run_id
        await self.connection.copy_records_to_table(
            "bill", columns=_BILL_COLUMNS, records=[(*b.values, ids[b.account], now, run_id) for b in bills]
        )


def _decode(line: Line) -> Record:
    try:
        return decode(line.text.encode())
    except LineError as exc:
        if line.unterminated and exc.field == "line":
            raise LineError("line", "the file ends in the middle of this line: was it cut short?") from None
        raise


def _key_of(text: str) -> tuple[str, str] | None:
    """The key other lines use to refer to a rejected line's record, if the line has one. Read leniently
    (any JSON), since the line may have failed its checks anywhere, even in its shape."""
    try:
        data = msgspec.json.decode(text)
    except (msgspec.DecodeError, RecursionError):  # RecursionError: values nested thousands deep
        return None
    kind = data.get("type") if isinstance(data, dict) else None
    if kind not in _KEYS:
        return None
    value = data[_KEYS[kind]] if isinstance(data.get(_KEYS[kind]), str) else None
    if value is None:
        return None
    normalise = {"customer": normalise_identity, "account": normalise_digits}.get(kind, str.strip)
    return kind, normalise(value)


_KEYS = {"customer": "identity", "account": "number", "bill": "number"}
"""The field by which each kind of record is referred to."""


def _columns(rows: list[Any], fields: tuple[str, ...]) -> list[list[Any]]:
    return [[getattr(row, name) for row in rows] for name in fields]


_STORED_BILLS = (
    "SELECT b.number, a.number AS account, b.period_start, b.period_end, b.issue_date, b.due_date,"
    " b.reading_previous, b.reading_current, b.consumption_m3, b.lines, b.taxable_cents, b.vat_cents,"
    " b.total_cents, b.payment_reference, b.status, b.paid_channel"
    " FROM bill b JOIN account a ON a.id = b.account WHERE b.number = ANY($1::text[])"
)


def _stored_bill(row: asyncpg.Record) -> dict[str, Any]:
    content = (
        row["account"], row["period_start"], row["period_end"], row["issue_date"], row["due_date"],
        row["reading_previous"], row["reading_current"], row["consumption_m3"], json.loads(row["lines"]),
        row["taxable_cents"], row["vat_cents"], row["total_cents"], row["payment_reference"],
    )  # fmt: skip
    return {
        "content": content,
        "total": row["total_cents"],
        "paid": row["status"] == "paid",
        "channel": row["paid_channel"],
        "credit": row["status"] == BillStatus.credit,
    }


_KEYS_KNOWN = (
    "SELECT 'customer' AS kind, identity_number AS key, NULL::text AS value, NULL::int AS id FROM customer"
    " WHERE identity_number = ANY($1::text[])"
    " UNION ALL SELECT 'account', a.number, c.identity_number, a.id FROM account a"
    " JOIN customer c ON c.id = a.customer WHERE a.number = ANY($2::text[])"
    " UNION ALL SELECT 'reference', payment_reference, number, NULL FROM bill"
    " WHERE payment_reference = ANY($3::text[])"
)
"""The customers, the accounts (holder and id) and the 13-digit payment references a batch names that
the database has."""
_CUSTOMER_FIELDS = ("identity_number", "identity_kind", "kind", "name", "email", "phone")
_CUSTOMERS = (
    "INSERT INTO customer (identity_number, identity_kind, kind, name, email, phone, created_at)"
    " SELECT u.*, $1::timestamptz"
    " FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u"
    " ON CONFLICT (identity_number) DO NOTHING RETURNING identity_number",
    "UPDATE customer c SET identity_kind = u.identity_kind, kind = u.kind, name = u.name, email = u.email,"
    " phone = u.phone"
    " FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])"
    " AS u(identity_number, identity_kind, kind, name, email, phone)"
    " WHERE c.identity_number = u.identity_number AND c.identity_number <> ALL($1::text[])"
    " AND (c.identity_kind, c.kind, c.name, c.email, c.phone)"
    " IS DISTINCT FROM (u.identity_kind, u.kind, u.name, u.email, u.phone) RETURNING c.id",
    _CUSTOMER_FIELDS,
)
_GRANT_NEW_ACCOUNTS = (
    # A holder's registered users see its accounts (registration grants them all): new ones too. A statement
    # of its own, after the insert: the insert waits for whoever holds the holder's row (`portal access
    # remove` unlinking its user, a registration linking one), and only a statement begun after that wait
    # reads the holder's users as that transaction left them (in one statement, as they were before it).
    'INSERT INTO account_access ("user", account, role, created_at)'
    " SELECT u.id, a.id, 'holder', a.created_at FROM account a JOIN portal_user u ON u.customer = a.customer"
    " WHERE a.id = ANY($1::int[])"
)
_ACCOUNT_FIELDS = (
    "number", "holder", "supply_address", "service", "tariff", "payment_method", "iban_masked", "online_bill",
)  # fmt: skip
_ACCOUNT_ARRAYS = (
    "unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bool[])"
    " AS u(number, holder, supply_address, service, tariff, payment_method, iban_masked, online_bill)"
)
_ACCOUNTS = (
    "INSERT INTO account (number, customer, supply_address, service, tariff, payment_method,"  # noqa: S608
    " iban_masked, online_bill, created_at)"
    " SELECT u.number, c.id, u.supply_address, u.service, u.tariff, u.payment_method, u.iban_masked,"
    f" COALESCE(u.online_bill, false), $1::timestamptz FROM {_ACCOUNT_ARRAYS}"
    " JOIN customer c ON c.identity_number = u.holder ON CONFLICT (number) DO NOTHING"
    " RETURNING number, id",
    # The holder is in the condition too: an account never moves (checked before, kept here regardless).
    "UPDATE account a SET supply_address = u.supply_address, service = u.service, tariff = u.tariff,"  # noqa: S608
    " payment_method = u.payment_method, iban_masked = u.iban_masked,"
    f" online_bill = COALESCE(u.online_bill, a.online_bill) FROM {_ACCOUNT_ARRAYS}"
    " JOIN customer c ON c.identity_number = u.holder"
    " WHERE a.number = u.number AND a.customer = c.id AND a.number <> ALL($1::text[])"
    " AND (a.supply_address, a.service, a.tariff, a.payment_method, a.iban_masked, a.online_bill)"
    " IS DISTINCT FROM (u.supply_address, u.service, u.tariff, u.payment_method, u.iban_masked,"
    " COALESCE(u.online_bill, a.online_bill)) RETURNING a.id",
    _ACCOUNT_FIELDS,
)
