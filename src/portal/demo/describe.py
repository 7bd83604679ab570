"""What `portal run` prints about the demo: its customers, a pending bill of each with its payment data,
and the users to sign in with, read back from the database so that it always shows what is really there."""

from __future__ import annotations

import textwrap
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from portal import clock
from portal.banking.cuaderno57 import CPR_CUADERNO_57, PaymentCode, PaymentCodeError
from portal.banking.money import format_eur
from portal.db.tables import Account, AccountAccess, Bill, Customer, User
from portal.db.tables.accounts import PaymentMethod
from portal.db.tables.bills import BillStatus
from portal.demo.generate import DEMO_CUSTOMERS, DEMO_USERS
from portal.settings import IssuerSettings, Settings


async def describe_demo(settings: Settings) -> str:
    """What `portal run` prints: the demo customers with the data on their bills that the journeys ask
    for, and the users to sign in with. Read from the database, so it shows what is really there."""
    today = clock.today()
    customers = {
        row["identity_number"]: row
        for row in await Customer.select(
            Customer.id, Customer.identity_kind, Customer.identity_number, Customer.name
        ).where(Customer.identity_number.is_in([spec.identity_number for spec in DEMO_CUSTOMERS]))
    }
    if not customers:
        return "There is no demo data: `portal demo` loads it."
    accounts = (
        await Account.select(
            Account.id, Account.number, Account.customer, Account.payment_method, Account.iban_masked
        )
        .where(Account.customer.is_in([row["id"] for row in customers.values()]))
        .order_by(Account.number)
    )
    account_ids = [account["id"] for account in accounts]
    # Newest first, then by bill number: the first of a customer's is the latest bill of their first
    # account with one pending.
    pending = (
        await Bill.select(
            Bill.number,
            Bill.account,
            Bill.due_date,
            Bill.total_cents,
            Bill.payment_suffix,
            Bill.payment_reference,
            Bill.payment_identification,
        )
        .where(Bill.account.is_in(account_ids), Bill.status == BillStatus.pending.value)
        .order_by(Bill.due_date, ascending=False)
        .order_by(Bill.number)
    )
    access = await AccountAccess.select(
        AccountAccess.account, AccountAccess.role, AccountAccess.user._.username.as_alias("username")
    ).where(AccountAccess.account.is_in(account_ids))

    out = [f"Demo customers (CPR code {CPR_CUADERNO_57} on every bill):"]
    for spec in DEMO_CUSTOMERS:
        customer = customers.get(spec.identity_number)
        if customer is None:
            continue
        own = [account for account in accounts if account["customer"] == customer["id"]]
        numbers = {account["id"]: account["number"] for account in own}
        users = sorted({f"{row['username']} ({row['role']})" for row in access if row["account"] in numbers})
        out += [
            "",
            f"{customer['name']} — {customer['identity_kind']} {customer['identity_number']}",
            f"  For: {spec.purpose}",
            f"  Signed in as: {', '.join(users)}" if users else "  Not registered",
            textwrap.fill(
                f"Accounts ({len(own)}): " + ", ".join(_account_label(account) for account in own),
                width=100,
                initial_indent="  ",
                subsequent_indent="    ",
            ),
        ]
        bills = [bill for bill in pending if bill["account"] in numbers]
        if not bills:
            out.append("  No pending bills")
            continue
        overdue = sum(bill["due_date"] < today for bill in bills)
        bill = bills[0]
        out += [
            f"  Pending bills: {len(bills)} ({overdue} overdue). Journey-ready: bill {bill['number']}"
            f" of account {numbers[bill['account']]}, {format_eur(bill['total_cents'])},"
            f" due {bill['due_date'].isoformat()}",
            *_payment_lines(settings.issuer, bill),
        ]
    out += ["", "Demo users (username / password):"]
    out += await _describe_users()
    return "\n".join(out)


def _account_label(account: dict[str, Any]) -> str:
    if account["payment_method"] == PaymentMethod.direct_debit.value:
        return f"{account['number']} (direct debit, {account['iban_masked']})"
    return account["number"]


def _payment_lines(issuer: IssuerSettings, bill: dict[str, Any]) -> list[str]:
    try:
        code = PaymentCode(
            issuer.code,
            bill["payment_suffix"],
            bill["payment_reference"],
            bill["payment_identification"],
            bill["total_cents"],
        )
    except PaymentCodeError:
        # The check digits cover the issuer code, so they break when ISSUER_CODE changes after loading.
        return [f"    Its payment data does not match ISSUER_CODE {issuer.code}: run `portal demo` to reload"]
    return [
        f"    issuer-suffix {code.issuer_suffix}, reference {code.reference},"
        f" identification {code.identification}",
        f"    barcode {code.barcode_digits}",
    ]


async def _describe_users() -> list[str]:
    users = await User.select(User.id, User.username, User.kind, User.password_hash).where(
        User.username.is_in([user.username for user in DEMO_USERS])
    )
    stored = {row["username"]: row for row in users}
    access = await AccountAccess.select(
        AccountAccess.user, AccountAccess.role, AccountAccess.account._.customer._.name.as_alias("holder")
    ).where(AccountAccess.user.is_in([row["id"] for row in users]))
    hasher = PasswordHasher()
    lines = []
    for spec in DEMO_USERS:
        row = stored.get(spec.username)
        if row is None:
            continue
        try:
            hasher.verify(row["password_hash"] or "", spec.password)
            shown = spec.password
        except (VerificationError, InvalidHashError):
            shown = "(changed since the demo was loaded)"
        rights = [entry for entry in access if entry["user"] == row["id"]]
        holders = sorted({entry["holder"] for entry in rights})
        roles = sorted({entry["role"] for entry in rights})
        lines.append(
            f"  {row['username']} / {shown} — {row['kind']} user, {'/'.join(roles) or 'no'} access"
            f" to {len(rights)} accounts of {', '.join(holders) or 'nobody'}"
        )
    return lines
