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
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from stdnum.es import cif, dni, nie

from portal.banking.cuaderno57 import PaymentCode
from portal.db.tables.accounts import CustomerKind
from portal.db.tables.bills import BillStatus
from portal.db.tables.users import AccessRole, UserKind
from portal.settings import IssuerSettings

__all__ = [
    "DEMO_CUSTOMERS",
    "DEMO_USERS",
]

SEED = 2026
DEMO_BILLS_PER_ACCOUNT = 25
"""Two years of monthly bills and one more, so every account has a full year to compare with."""
PRIVACY_POLICY_VERSION = "2026-11"

# Serial ranges: the demo uses the low ones, scale runs start above them (or after the previous run), so
# loading the demo before or after scale data never collides.
DEMO_FIRST_ACCOUNT_SERIAL = 100_001
DEMO_FIRST_BILL_SERIAL = 1
HIGHEST_BILL_SERIAL = (
    # No {n} quantifier: the statement goes through Piccolo, for which braces are placeholders. A number
    # is at most 20 characters: 18 digits fit a bigint.
    "SELECT max(COALESCE(left(payment_reference, 11), substring(number FROM '^FA([0-9]+)$'))::bigint)"
    " AS highest FROM bill"
)
"""The highest bill serial taken: a bill's number is FA and its serial, its payment reference the serial.
A credit bill has no reference, but its number (if written as the demo writes them) still takes the
serial: the next demo bills start after both."""

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


def make_cif(body: str) -> str:
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
    make_cif("B4638291"),
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
    make_cif("A0331254"),
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
    make_cif("H4652873"),
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


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month0 = divmod(index, 12)
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def _at(day: date) -> datetime:
    return datetime.combine(day, time(9, 30), tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class BillData:
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


def account_bills(
    rng: random.Random,
    issuer: IssuerSettings,
    today: date,
    *,
    number: str,
    spec: AccountSpec,
    first_serial: int,
    count: int,
) -> list[BillData]:
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
            BillData(
                number=f"FA{serial:011d}",  # as HIGHEST_BILL_SERIAL reads it
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
