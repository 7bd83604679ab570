"""Deterministic demo data for the journeys, and synthetic bills in bulk for benchmarks.

The demo is the same on every machine and every day: one seeded RNG (`SEED`) drawn in a fixed order, so
bill numbers, amounts, references, identifications and barcodes never change and the README can list
them. Only dates move: they are anchored to the day the demo is loaded, so the latest bills are always
recent, one pending bill is always overdue and the journey-ready ones are always still due.

Payment data of a bill (``specs/payment-codes.md``): suffix = ``ISSUER_BILL_SUFFIX``; reference = the
global bill serial as 11 digits (the bill number carries the same serial, so both are unique together);
identification = the last 6 digits of the account number — stable free data that tells a clerk which
supply a payment is for, never a date (with a suffix below 500 banks do not read it as a deadline).
The check digits and barcodes come from :mod:`portal.banking.cuaderno57`, computed with the issuer code
in the settings: loading with another ``ISSUER_CODE`` gives other check digits.
"""

from __future__ import annotations

import calendar
import json
import math
import random
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from stdnum.es import cif, dni, nie

from portal import clock
from portal.banking.accounts import account_number
from portal.banking.cuaderno57 import CPR_CUADERNO_57, PaymentCode, PaymentCodeError
from portal.banking.identity import validate_identity
from portal.banking.money import format_eur
from portal.db import engine as db_engine
from portal.db.tables import Account, AccountAccess, Bill, Customer, User
from portal.db.tables.accounts import CustomerKind, IdentityKind, PaymentMethod
from portal.db.tables.bills import BillStatus
from portal.db.tables.users import AccessRole, UserKind
from portal.settings import IssuerSettings, Settings

__all__ = [
    "DEMO_CUSTOMERS",
    "DEMO_USERS",
    "SCALE_BILLS_PER_ACCOUNT",
    "SCALE_HOLDER_CIF",
    "describe_demo",
    "insert_customer",
    "insert_user",
    "load_demo",
    "load_demo_if_empty",
    "load_scale_bills",
]

SEED = 2026
DEMO_BILLS_PER_ACCOUNT = 25
"""Two years of monthly bills and one more, so every account has a full year to compare with."""
PRIVACY_POLICY_VERSION = "2026-11"

# Serial ranges: the demo uses the low ones, scale runs start above them (or after the previous run), so
# loading the demo before or after scale data never collides.
_DEMO_FIRST_ACCOUNT_SERIAL = 100_001
_DEMO_FIRST_BILL_SERIAL = 1
_SCALE_FIRST_ACCOUNT_SERIAL = 900_000_001
_SCALE_FIRST_BILL_SERIAL = 1_000_000_001

_ISSUED_DAYS_AGO = 7
"""The latest bill of every account was issued this many days before the demo was loaded."""
_PAYMENT_TERM = timedelta(days=20)
"""Due date after issue: the latest bill is due in 13 days, the one before was due about 17 days ago."""

_SEASON_PERCENT = (80, 80, 90, 95, 105, 120, 135, 140, 115, 95, 85, 80)
"""Consumption by month (January first), in % of the account's average: gardens and pools in summer."""
_LATEST_SEASON_MONTH = 11
"""The season month of each account's latest bill. Seasons follow the bill's position, not the calendar,
so amounts stay the same whatever day the demo is loaded; they match the calendar for a load in December."""


def _dni(body: str) -> str:
    return body + dni.calc_check_digit(body)


def _nie(body: str) -> str:
    return body + nie.calc_check_digit(body)


def _cif(body: str) -> str:
    # calc_check_digits gives the digit and the letter forms; A, B and H companies use the digit.
    return body + cif.calc_check_digits(body)[0]


@dataclass(frozen=True)
class Tariff:
    """Water prices in cents: a monthly service charge, increasing consumption blocks, sewage per m³."""

    name: str
    service_charge_cents: int
    blocks: tuple[tuple[int | None, int], ...]
    """(upper limit in m³ or None for the last block, price per m³) in increasing order."""
    sewage_cents_per_m3: int
    average_tenths_m3: tuple[int, int]
    """Range of an account's average monthly consumption, in tenths of m³ (integers keep it portable)."""


DOMESTIC = Tariff("Domestic", 675, ((10, 58), (20, 92), (None, 145)), 52, (60, 140))
COMMERCIAL = Tariff("Commercial", 1890, ((50, 88), (200, 112), (None, 139)), 64, (250, 1200))
VAT_PERCENT = 10


@dataclass(frozen=True)
class Charges:
    lines_json: str
    """The bill's lines as documented on `Bill.lines`, already JSON (stored as is)."""
    taxable_cents: int
    vat_cents: int
    total_cents: int


@lru_cache(maxsize=4096)
def _charges(tariff: Tariff, consumption_m3: int) -> Charges:
    """What a bill for this consumption costs. Cached: the scale run prices a million bills with only a
    few hundred distinct consumptions."""
    lines: list[dict[str, Any]] = [
        _line("fixed", "Service charge (monthly)", 1, tariff.service_charge_cents),
    ]
    lower = 0
    for upper, price in tariff.blocks:
        if upper is None:
            lines.append(_line("consumption", f"Water over {lower} m³", consumption_m3 - lower, price))
            break
        lines.append(
            _line("consumption", f"Water {lower}–{upper} m³", min(consumption_m3, upper) - lower, price)
        )
        if consumption_m3 <= upper:
            break
        lower = upper
    lines.append(_line("sewage", "Sewage", consumption_m3, tariff.sewage_cents_per_m3))
    taxable = sum(line["amount_cents"] for line in lines)
    vat = (taxable * VAT_PERCENT + 50) // 100  # half-up, in integers
    # Quantity × unit price = amount on every line, VAT included, so templates need no special case.
    lines.append(_line("vat", f"VAT {VAT_PERCENT}%", 1, vat))
    return Charges(json.dumps(lines, ensure_ascii=False), taxable, vat, taxable + vat)


def _line(kind: str, description: str, quantity: int, unit_price_cents: int) -> dict[str, Any]:
    return {
        "kind": kind,
        "description": description,
        "quantity": quantity,
        "unit_price_cents": unit_price_cents,
        "amount_cents": quantity * unit_price_cents,
    }


@dataclass(frozen=True)
class AccountSpec:
    address: str
    tariff: Tariff = DOMESTIC
    pending: int = 0
    """How many of the latest bills are unpaid: 1 = the one still due, 2 = that one and an overdue one."""
    iban_masked: str = ""
    """Set: the account pays by direct debit from this (masked) IBAN and no bill is ever pending."""


@dataclass(frozen=True)
class CustomerSpec:
    purpose: str
    kind: CustomerKind
    identity_number: str
    name: str
    email: str
    phone: str
    accounts: tuple[AccountSpec, ...]


@dataclass(frozen=True)
class UserSpec:
    username: str
    password: str
    email: str
    kind: UserKind
    holder: str
    """Identity number of the customer whose accounts the user may see."""
    role: AccessRole


def _flats() -> tuple[AccountSpec, ...]:
    """32 rented flats (8 floors × 4 doors); pending bills on about half of them, some overdue."""
    return tuple(
        AccountSpec(
            f"Avenida de la Estación 12, {floor}.º {door}, 03005 Alicante",
            pending=2 if (floor * 4 + index) % 8 == 5 else 1 if (floor * 4 + index) % 3 == 0 else 0,
        )
        for floor in range(1, 9)
        for index, door in enumerate("ABCD")
    )


MARIA = CustomerSpec(
    "Register as a private user",
    CustomerKind.person,
    _dni("48213657"),
    "María García López",
    "maria.garcia@example.com",
    "+34 961 000 101",
    (
        AccountSpec("Calle de San Vicente Mártir 84, 3.º B, 46007 Valencia", pending=1),
        AccountSpec("Carrer del Mar 15, 03730 Xàbia", pending=2),
    ),
)
HORNO = CustomerSpec(
    "Register as a company user",
    CustomerKind.company,
    _cif("B4638291"),
    "Horno San Roque, S.L.",
    "horno.sanroque@example.com",
    "+34 961 000 202",
    (
        AccountSpec("Calle de la Paz 22, bajo, 46003 Valencia", COMMERCIAL, pending=1),
        AccountSpec("Avenida de Aragón 30, local 2, 46021 Valencia", COMMERCIAL, pending=2),
        AccountSpec("Calle Mayor 7, 46470 Catarroja", COMMERCIAL),
    ),
)
INMOBILIARIA = CustomerSpec(
    "Register as an administrator user (32 accounts)",
    CustomerKind.company,
    _cif("A0331254"),
    "Inmobiliaria Mediterránea, S.A.",
    "inmobiliaria.mediterranea@example.com",
    "+34 965 000 303",
    _flats(),
)
OKSANA = CustomerSpec(
    "Pay a bill without signing in",
    CustomerKind.person,
    _nie("Y2345678"),
    "Oksana Kovalenko",
    "oksana.kovalenko@example.com",
    "+34 964 000 404",
    (AccountSpec("Calle del Doctor Fleming 9, 2.º A, 12005 Castellón de la Plana", pending=1),),
)
JAVIER = CustomerSpec(
    "Pay a bill without signing in; one account pays by direct debit",
    CustomerKind.person,
    _dni("20481736"),
    "Javier Sánchez Moreno",
    "javier.sanchez@example.com",
    "+34 966 000 505",
    (
        AccountSpec("Calle de Cervantes 41, 1.º, 03201 Elche", pending=1),
        AccountSpec("Calle del Río 5, 46730 Gandia", iban_masked="ES76 **** **** **** **** 4821"),
    ),
)
ANA = CustomerSpec(
    "Sign in as ana.demo: my bills, bills due documents, downloads, pay by barcode",
    CustomerKind.person,
    _dni("33127845"),
    "Ana Martínez Ruiz",
    "ana.martinez@example.com",
    "+34 963 000 606",
    (
        AccountSpec("Calle de Colón 18, 5.º C, 46004 Valencia", pending=2),
        AccountSpec("Avenida del Mediterráneo 140, 46730 Gandia"),
    ),
)
LAS_PALMERAS = CustomerSpec(
    "Sign in as admin.demo: an administrator's view of a holder's accounts",
    CustomerKind.company,
    _cif("H4652873"),
    "Comunidad de Propietarios Edificio Las Palmeras",
    "cp.laspalmeras@example.com",
    "+34 962 000 707",
    (
        AccountSpec("Calle de las Palmeras 10, zonas comunes, 46520 Sagunto", pending=1),
        AccountSpec("Calle de las Palmeras 10, piscina, 46520 Sagunto", COMMERCIAL, pending=2),
        AccountSpec("Calle de las Palmeras 10, riego, 46520 Sagunto", pending=1),
        AccountSpec("Calle de las Palmeras 10, garaje, 46520 Sagunto"),
        AccountSpec("Calle de las Palmeras 10, portería, 46520 Sagunto"),
    ),
)
DEMO_CUSTOMERS = (MARIA, HORNO, INMOBILIARIA, OKSANA, JAVIER, ANA, LAS_PALMERAS)
"""In the order `describe_demo` and the README list them; serials are handed out in this order too."""

DEMO_USERS = (
    UserSpec(
        "ana.demo", "demo-password-ana", "ana.demo@example.com", UserKind.private, ANA.identity_number,
        AccessRole.holder,
    ),
    UserSpec(
        "admin.demo", "demo-password-admin", "admin.demo@example.com", UserKind.administrator,
        LAS_PALMERAS.identity_number, AccessRole.administrator,
    ),
)  # fmt: skip

SCALE_HOLDER_CIF = _cif("A2899999")
SCALE_BILLS_PER_ACCOUNT = 50
"""Four years of monthly bills per account: long histories for the bill list's pagination, and 20,000
accounts per million bills, so that queries across many accounts (downloads, administrators) are
measured too."""
_SCALE_BATCH = 50_000


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month0 = divmod(index, 12)
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def _at(day: date) -> datetime:
    return datetime.combine(day, time(9, 30), tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class _BillData:
    number: str
    period_start: date
    period_end: date
    issue_date: date
    due_date: date
    reading_previous: int
    reading_current: int
    consumption_m3: int
    charges: Charges
    status: BillStatus
    paid_at: datetime | None
    code: PaymentCode


def _account_bills(
    rng: random.Random,
    issuer: IssuerSettings,
    today: date,
    *,
    number: str,
    spec: AccountSpec,
    first_serial: int,
    count: int,
) -> list[_BillData]:
    """The latest `count` monthly bills of an account, oldest first, with contiguous periods and readings.

    The RNG is drawn the same number of times whatever the statuses or `today`, so amounts never shift.
    """
    latest_issue = today - timedelta(days=_ISSUED_DAYS_AGO)
    average = rng.randint(*spec.tariff.average_tenths_m3)
    reading = rng.randint(100, 3000)
    bills = []
    for position in range(count):
        back = count - 1 - position  # bills after this one
        season = _SEASON_PERCENT[(_LATEST_SEASON_MONTH - 1 - back) % 12]
        noise = rng.randint(85, 115)
        consumption = max(1, (average * season * noise + 50_000) // 100_000)
        paid_after = timedelta(days=rng.randint(2, 19))
        issue = _add_months(latest_issue, -back)
        due = issue + _PAYMENT_TERM
        if spec.iban_masked:
            # The bank collects a direct debit on the due date.
            status, paid_at = BillStatus.direct_debit, _at(due) if due < today else None
        elif back < spec.pending:
            status, paid_at = BillStatus.pending, None
        else:
            status, paid_at = BillStatus.paid, _at(min(issue + paid_after, today - timedelta(days=1)))
        price = _charges(spec.tariff, consumption)
        serial = first_serial + position
        bills.append(
            _BillData(
                number=f"FA{serial:011d}",
                period_start=_add_months(latest_issue, -back - 1),
                period_end=issue - timedelta(days=1),
                issue_date=issue,
                due_date=due,
                reading_previous=reading,
                reading_current=reading + consumption,
                consumption_m3=consumption,
                charges=price,
                status=status,
                paid_at=paid_at,
                code=PaymentCode.build(
                    issuer.code, issuer.bill_suffix, f"{serial:011d}", number[-6:], price.total_cents
                ),
            )
        )
        reading += consumption
    return bills


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
    account_serial, bill_serial = _DEMO_FIRST_ACCOUNT_SERIAL, _DEMO_FIRST_BILL_SERIAL
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
) -> tuple[int, list[int], dict[str, list[_BillData]]]:
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
    bills_by_account: dict[str, list[_BillData]] = {}
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
        bills = _account_bills(
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


def _bill_row(account_id: int, bill: _BillData) -> Bill:
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


_ACCOUNT_COLUMNS = (
    "number", "customer", "supply_address", "service", "tariff", "payment_method", "iban_masked",
    "online_bill", "created_at",
)  # fmt: skip
_BILL_COLUMNS = (
    "number", "account", "period_start", "period_end", "issue_date", "due_date", "reading_previous",
    "reading_current", "consumption_m3", "lines", "taxable_cents", "vat_cents", "total_cents", "status",
    "paid_at", "payment_suffix", "payment_reference", "payment_identification", "created_at",
)  # fmt: skip


def _scale_account(index: int) -> AccountSpec:
    """A quarter of the accounts pay by direct debit, every tenth has an overdue bill and about one in
    seven a bill still due: enough of each for the pending-bill queries to have realistic selectivity."""
    address = f"Calle de la Prueba {index + 1}, 46980 Paterna"
    if index % 4 == 3:
        return AccountSpec(address, iban_masked="ES12 **** **** **** **** 0000")
    return AccountSpec(address, pending=2 if index % 10 == 0 else 1 if index % 5 == 2 else 0)


async def load_scale_bills(settings: Settings, count: int) -> None:
    """Add `count` synthetic bills for benchmarks, `SCALE_BILLS_PER_ACCOUNT` per new account of one
    synthetic company, in one transaction (all or nothing) with COPY in batches, showing progress on
    stderr. Serials continue after the highest in the database, so runs can be repeated."""
    if count < 1:
        raise ValueError(f"The number of bills must be at least 1, not {count}")
    today = clock.today()
    now = clock.now()
    rng = random.Random(SEED)  # noqa: S311 (made-up data, no secrets)
    connection: asyncpg.Connection = await db_engine().get_new_connection()
    try:
        async with connection.transaction():
            holder_id = await _scale_holder(connection, now)
            first_account = await _next_serial(
                connection, "SELECT max(left(number, 9)::int) FROM account", _SCALE_FIRST_ACCOUNT_SERIAL
            )
            first_bill = await _next_serial(
                connection,
                "SELECT max(left(payment_reference, 11)::bigint) FROM bill",
                _SCALE_FIRST_BILL_SERIAL,
            )
            numbers = [
                account_number(first_account + i) for i in range(math.ceil(count / SCALE_BILLS_PER_ACCOUNT))
            ]
            specs = [_scale_account(index) for index in range(len(numbers))]
            await connection.copy_records_to_table(
                "account",
                columns=_ACCOUNT_COLUMNS,
                records=[
                    (
                        number, holder_id, spec.address, "water", spec.tariff.name,
                        (PaymentMethod.direct_debit if spec.iban_masked else PaymentMethod.none).value,
                        spec.iban_masked, False, now,
                    )
                    for number, spec in zip(numbers, specs, strict=True)
                ],
            )  # fmt: skip
            ids = dict(
                await connection.fetch(
                    "SELECT number, id FROM account WHERE number = ANY($1::varchar[])", numbers
                )
            )
            await _copy_bills(
                connection, settings.issuer, today, now, rng, numbers, specs, ids, first_bill, count
            )
    finally:
        await connection.close()


async def _next_serial(connection: asyncpg.Connection, highest_sql: str, floor: int) -> int:
    """The serial after the highest in use, but at least `floor`: scale serials stay clear of the demo's."""
    highest = await connection.fetchval(highest_sql)
    return max(highest or 0, floor - 1) + 1


async def _scale_holder(connection: asyncpg.Connection, now: datetime) -> int:
    await connection.execute(
        "INSERT INTO customer (kind, identity_kind, identity_number, name, email, phone, created_at)"
        " VALUES ($1, $2, $3, 'Benchmark Holdings, S.A.', 'benchmark@example.com', '', $4)"
        " ON CONFLICT (identity_number) DO NOTHING",
        CustomerKind.company.value,
        IdentityKind.cif.value,
        SCALE_HOLDER_CIF,
        now,
    )
    holder_id: int = await connection.fetchval(
        "SELECT id FROM customer WHERE identity_number = $1", SCALE_HOLDER_CIF
    )
    return holder_id


async def _copy_bills(
    connection: asyncpg.Connection,
    issuer: IssuerSettings,
    today: date,
    now: datetime,
    rng: random.Random,
    numbers: Sequence[str],
    specs: Sequence[AccountSpec],
    ids: dict[str, int],
    first_serial: int,
    count: int,
) -> None:
    batch: list[tuple[Any, ...]] = []
    done = 0
    for index, (number, spec) in enumerate(zip(numbers, specs, strict=True)):
        bills_here = min(SCALE_BILLS_PER_ACCOUNT, count - index * SCALE_BILLS_PER_ACCOUNT)
        for bill in _account_bills(
            rng, issuer, today, number=number, spec=spec, first_serial=first_serial, count=bills_here
        ):
            batch.append(
                (
                    bill.number, ids[number], bill.period_start, bill.period_end, bill.issue_date,
                    bill.due_date, bill.reading_previous, bill.reading_current, bill.consumption_m3,
                    bill.charges.lines_json, bill.charges.taxable_cents, bill.charges.vat_cents,
                    bill.charges.total_cents, bill.status.value, bill.paid_at, bill.code.suffix,
                    bill.code.reference, bill.code.identification, now,
                )
            )  # fmt: skip
        first_serial += bills_here
        if len(batch) >= _SCALE_BATCH or index == len(numbers) - 1:
            await connection.copy_records_to_table("bill", columns=_BILL_COLUMNS, records=batch)
            done += len(batch)
            batch = []
            _progress(done, count)


def _progress(done: int, total: int, width: int = 40) -> None:
    filled = width * done // total
    end = "\n" if done == total else ""
    print(
        f"\r[{'#' * filled}{' ' * (width - filled)}] {done}/{total} bills",
        end=end,
        file=sys.stderr,
        flush=True,
    )
