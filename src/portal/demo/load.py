"""Writing the demo: its customers, accounts, bills and users inserted in one transaction (replacing a
previous demo), and the inserts that the e2e tests' fresh customers (:mod:`portal.demo.fresh`) reuse."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from argon2 import PasswordHasher

from portal import clock
from portal.banking.accounts import account_number
from portal.banking.identity import validate_identity
from portal.db.tables import Account, AccountAccess, Bill, Customer, User
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
from portal.settings import Settings

__all__ = ["insert_customer", "insert_user", "load_demo", "load_demo_if_empty"]


async def _delete_demo() -> None:
    """Remove a previous demo, so loading again resets it. Deleting the customers cascades to their
    accounts, bills, access rows and any user who registered as one of them during a journey."""
    await User.delete().where(User.username.is_in([user.username for user in DEMO_USERS]))
    await Customer.delete().where(Customer.identity_number.is_in([c.identity_number for c in DEMO_CUSTOMERS]))


async def load_demo(settings: Settings, *, today: date | None = None) -> None:
    """Load the demo customers, bills and users in one transaction, replacing a previous demo."""
    today = today or clock.today()
    rng = random.Random(SEED)  # noqa: S311 (made-up data, no secrets)
    hasher = PasswordHasher()
    password_hashes = {user.username: hasher.hash(user.password) for user in DEMO_USERS}
    signed_up = _at(today - timedelta(days=30))
    account_serial, bill_serial = DEMO_FIRST_ACCOUNT_SERIAL, DEMO_FIRST_BILL_SERIAL
    customer_ids: dict[str, int] = {}
    account_ids: dict[str, list[int]] = {}
    async with Customer._meta.db.transaction():
        await _delete_demo()
        for spec in DEMO_CUSTOMERS:
            customer_ids[spec.identity_number], account_ids[spec.identity_number], _ = await insert_customer(
                spec, settings, rng, today, account_serial=account_serial, bill_serial=bill_serial
            )
            account_serial += len(spec.accounts)
            bill_serial += len(spec.accounts) * DEMO_BILLS_PER_ACCOUNT
        for user in DEMO_USERS:
            await insert_user(
                user,
                customer_ids[user.holder],
                account_ids[user.holder],
                password_hash=password_hashes[user.username],
                signed_up=signed_up,
                online_bill=True,
            )


async def insert_customer(
    spec: CustomerSpec,
    settings: Settings,
    rng: random.Random,
    today: date,
    *,
    account_serial: int,
    bill_serial: int,
) -> tuple[int, list[int], dict[str, list[BillData]]]:
    """Insert a customer with its accounts (consecutive serials from `account_serial`) and
    `DEMO_BILLS_PER_ACCOUNT` bills per account (serials from `bill_serial`); the customer's id, its
    account ids and each account number's bills."""
    document = validate_identity(spec.identity_number, "any")
    [row] = await Customer.insert(
        Customer(
            kind=spec.kind.value,
            identity_kind=document.kind,
            identity_number=document.number,
            name=spec.name,
            email=spec.email,
            phone=spec.phone,
        )
    ).returning(Customer.id)
    account_ids: list[int] = []
    bills_by_account: dict[str, list[BillData]] = {}
    for account_spec in spec.accounts:
        number = account_number(account_serial)
        [account] = await Account.insert(
            Account(
                number=number,
                customer=row["id"],
                supply_address=account_spec.address,
                tariff=account_spec.tariff.name,
                payment_method=(
                    PaymentMethod.direct_debit if account_spec.iban_masked else PaymentMethod.none
                ).value,
                iban_masked=account_spec.iban_masked,
            )
        ).returning(Account.id)
        account_ids.append(account["id"])
        bills = account_bills(
            rng,
            settings.issuer,
            today,
            number=number,
            spec=account_spec,
            first_serial=bill_serial,
            count=DEMO_BILLS_PER_ACCOUNT,
        )
        await Bill.insert(*(_bill_row(account["id"], bill) for bill in bills))
        bills_by_account[number] = bills
        account_serial += 1
        bill_serial += DEMO_BILLS_PER_ACCOUNT
    return row["id"], account_ids, bills_by_account


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


def _bill_row(account_id: int, bill: BillData) -> Bill:
    return Bill(
        number=bill.number,
        account=account_id,
        period_start=bill.period_start,
        period_end=bill.period_end,
        issue_date=bill.issue_date,
        due_date=bill.due_date,
        reading_previous=bill.reading_previous,
        reading_current=bill.reading_current,
        consumption_m3=bill.consumption_m3,
        lines=bill.charges.lines_json,
        taxable_cents=bill.charges.taxable_cents,
        vat_cents=bill.charges.vat_cents,
        total_cents=bill.charges.total_cents,
        status=bill.status.value,
        paid_at=bill.paid_at,
        payment_suffix=bill.code.suffix,
        payment_reference=bill.code.reference,
        payment_identification=bill.code.identification,
    )


async def load_demo_if_empty(settings: Settings) -> bool:
    """Load the demo into a database without customers; whether it did."""
    if await Customer.count() > 0:
        return False
    await load_demo(settings)
    return True
