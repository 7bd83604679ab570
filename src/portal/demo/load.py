"""Writing the demo: its customers, accounts and bills written as the billing system's records and loaded
through `portal import`'s importer (replacing a previous demo), then its users; and the same loading that
the e2e tests' fresh customers (:mod:`portal.demo.fresh`) reuse."""

from __future__ import annotations

import io
import json
import random
from datetime import date, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from stdnum import iban
from stdnum.es import ccc

from portal import clock
from portal.banking.accounts import account_number
from portal.db.tables import Account, AccountAccess, Attempt, Customer, User
from portal.db.tables.accounts import PaymentMethod
from portal.db.tables.users import UserKind
from portal.demo.generate import (
    DEMO_BILLS_PER_ACCOUNT,
    DEMO_CUSTOMERS,
    DEMO_FIRST_ACCOUNT_SERIAL,
    DEMO_FIRST_BILL_SERIAL,
    DEMO_USERS,
    PRIVACY_POLICY_VERSION,
    SEED,
    BillData,
    CustomerSpec,
    UserSpec,
    _at,
    account_bills,
)
from portal.imports.run import Options, run_import
from portal.settings import IssuerSettings, Settings

__all__ = ["import_customer", "insert_user", "load_demo", "load_demo_if_empty"]


async def _delete_demo() -> None:
    """Remove a previous demo, so loading again resets it. Deleting the customers cascades to their
    accounts, bills, access rows and any user who registered as one of them during a journey. Throttle
    counts go too: a demo that was mistyped into must let everyone try again."""
    await Attempt.delete(force=True)
    await User.delete().where(User.username.is_in([user.username for user in DEMO_USERS]))
    await Customer.delete().where(Customer.identity_number.is_in([c.identity_number for c in DEMO_CUSTOMERS]))


async def load_demo(settings: Settings, *, today: date | None = None) -> None:
    """Load the demo, replacing a previous one: its customers, accounts and bills are written as the
    billing system's records and loaded through `portal import`'s importer (one way in, which the demo
    exercises), then the demo users are added in one transaction."""
    today = today or clock.today()
    rng = random.Random(SEED)  # noqa: S311 (made-up data, no secrets)
    hasher = PasswordHasher()
    password_hashes = {user.username: hasher.hash(user.password) for user in DEMO_USERS}
    signed_up = _at(today - timedelta(days=30))
    account_serial, bill_serial = DEMO_FIRST_ACCOUNT_SERIAL, DEMO_FIRST_BILL_SERIAL
    records: list[dict[str, Any]] = []
    for spec in DEMO_CUSTOMERS:
        customer_records, _ = _customer_records(
            spec, settings.issuer, rng, today, account_serial=account_serial, bill_serial=bill_serial
        )
        records += customer_records
        account_serial += len(spec.accounts)
        bill_serial += len(spec.accounts) * DEMO_BILLS_PER_ACCOUNT
    await _delete_demo()
    await _import(records, settings, by="portal demo")
    async with Customer._meta.db.transaction():
        for user in DEMO_USERS:
            customer_id, account_ids = await _customer_and_accounts(user.holder)
            await insert_user(
                user,
                customer_id,
                account_ids,
                password_hash=password_hashes[user.username],
                signed_up=signed_up,
                online_bill=True,
            )


async def import_customer(
    spec: CustomerSpec,
    settings: Settings,
    rng: random.Random,
    today: date,
    *,
    account_serial: int,
    bill_serial: int,
) -> tuple[int, list[int], dict[str, list[BillData]]]:
    """Load a customer with its accounts (consecutive serials from `account_serial`) and
    `DEMO_BILLS_PER_ACCOUNT` bills per account (serials from `bill_serial`) through the importer, as
    the demo is loaded; the customer's id, its account ids and each account number's bills."""
    records, bills = _customer_records(
        spec, settings.issuer, rng, today, account_serial=account_serial, bill_serial=bill_serial
    )
    await _import(records, settings, by="portal demo customer")
    customer_id, account_ids = await _customer_and_accounts(spec.identity_number)
    return customer_id, account_ids, bills


async def _import(records: list[dict[str, Any]], settings: Settings, *, by: str) -> None:
    """The records through `portal import`'s importer, as one run that counts as issued (no render jobs
    nor emails: the users come afterwards, and PDFs are rendered on first request). Any rejected record
    is a bug of the generator."""
    data = b"".join(json.dumps(record, ensure_ascii=False).encode() + b"\n" for record in records)
    outcome = await run_import(
        io.BytesIO(data),
        settings,
        Options(file_name=f"({by})", by=by, render=False, issue=False),
    )
    if outcome.counts.rejected:
        raise RuntimeError(f"the demo's own records were rejected: {outcome.counts.summary()}")


async def _customer_and_accounts(identity_number: str) -> tuple[int, list[int]]:
    [customer] = await Customer.select(Customer.id).where(Customer.identity_number == identity_number)
    accounts = (
        await Account.select(Account.id).where(Account.customer == customer["id"]).order_by(Account.number)
    )
    return customer["id"], [row["id"] for row in accounts]


async def insert_user(
    user: UserSpec,
    customer_id: int,
    account_ids: list[int],
    *,
    password_hash: str,
    signed_up: datetime,
    online_bill: bool,
) -> None:
    """An activated user with access to the holder's accounts, as registration leaves one."""
    [user_row] = await User.insert(
        User(
            username=user.username,
            email=user.email,
            kind=user.kind.value,
            customer=customer_id if user.kind != UserKind.administrator else None,
            password_hash=password_hash,
            activated_at=signed_up,
            online_bill=online_bill,
            privacy_policy_version=PRIVACY_POLICY_VERSION,
            privacy_accepted_at=signed_up,
        )
    ).returning(User.id)
    await AccountAccess.insert(
        *(
            AccountAccess(user=user_row["id"], account=account_id, role=user.role.value)
            for account_id in account_ids
        )
    )
    # As registration does for someone who asked for the online bill (or not).
    await Account.update({Account.online_bill: online_bill}).where(Account.id.is_in(account_ids))


def _customer_records(
    spec: CustomerSpec,
    issuer: IssuerSettings,
    rng: random.Random,
    today: date,
    *,
    account_serial: int,
    bill_serial: int,
) -> tuple[list[dict[str, Any]], dict[str, list[BillData]]]:
    """A customer as JSON Lines records (shared/specs/billing-import.md) in the order a billing system
    exports them: the customer, then each account (consecutive serials from `account_serial`) followed
    by its `DEMO_BILLS_PER_ACCOUNT` bills (serials from `bill_serial`), drawn from `rng` in the same
    order as ever, so that bills, amounts and codes stay the same; and each account number's bills."""
    records: list[dict[str, Any]] = [
        {
            "type": "customer", "identity": spec.identity_number, "kind": spec.kind.value,
            "name": spec.name, "email": spec.email, "phone": spec.phone,
        }
    ]  # fmt: skip
    bills_by_account: dict[str, list[BillData]] = {}
    for account_spec in spec.accounts:
        number = account_number(account_serial)
        direct_debit = bool(account_spec.iban_masked)
        account: dict[str, Any] = {
            "type": "account", "number": number, "holder": spec.identity_number,
            "supply_address": account_spec.address, "tariff": account_spec.tariff.name,
            "payment_method": (PaymentMethod.direct_debit if direct_debit else PaymentMethod.none).value,
        }  # fmt: skip
        if direct_debit:
            account["iban"] = _iban_masked_as(account_spec.iban_masked)
        records.append(account)
        bills = account_bills(
            rng, issuer, today, number=number, spec=account_spec, first_serial=bill_serial,
            count=DEMO_BILLS_PER_ACCOUNT,
        )  # fmt: skip
        records += (_bill_record(number, bill) for bill in bills)
        bills_by_account[number] = bills
        account_serial += 1
        bill_serial += DEMO_BILLS_PER_ACCOUNT
    return records, bills_by_account


def _euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _bill_record(account: str, bill: BillData) -> dict[str, Any]:
    lines = [
        {
            "kind": line["kind"], "description": line["description"], "quantity": str(line["quantity"]),
            "unit_price": _euros(line["unit_price_cents"]), "amount": _euros(line["amount_cents"]),
        }
        for line in json.loads(bill.charges.lines_json)
    ]  # fmt: skip
    return {
        "type": "bill", "number": bill.number, "account": account,
        "issue_date": bill.issue_date.isoformat(), "due_date": bill.due_date.isoformat(),
        "period_start": bill.period_start.isoformat(), "period_end": bill.period_end.isoformat(),
        "reading_previous": bill.reading_previous, "reading_current": bill.reading_current,
        "consumption_m3": bill.consumption_m3, "lines": lines,
        "taxable": _euros(bill.charges.taxable_cents), "vat": _euros(bill.charges.vat_cents),
        "total": _euros(bill.charges.total_cents), "status": bill.status.value,
        **({"paid_at": bill.paid_at.isoformat()} if bill.paid_at else {}),
    }  # fmt: skip


def _iban_masked_as(masked: str) -> str:
    """A made-up valid Spanish IBAN whose masked form is `masked` (the importer keeps only that form):
    bank 2100, branch 0418, the account's check digits (es.ccc), then the IBAN's own."""
    check, last = masked[2:4], masked[-4:]
    for serial in range(10_000):
        account = f"21000418{ccc.calc_check_digits(f'2100041800{serial:06d}{last}')}{serial:06d}{last}"
        if iban.calc_check_digits(f"ES00{account}") == check:
            return f"ES{check}{account}"
    raise ValueError(f"no IBAN is masked as {masked}")  # pragma: no cover - one in 97 serials fits


async def load_demo_if_empty(settings: Settings) -> bool:
    """Load the demo into a database without customers; whether it did."""
    if await Customer.count() > 0:
        return False
    await load_demo(settings)
    return True
