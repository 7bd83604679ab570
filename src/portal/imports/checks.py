"""Each record checked whole, on its own, and turned into the row the portal stores.

What needs the database (does the holder exist, is the bill new) is `writer`'s; everything here is pure,
so a dry run and a real run reject exactly the same lines for the same reasons.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache
from typing import Any

import msgspec
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError

from portal.banking.accounts import AccountNumberError, validate_account_number
from portal.banking.cuaderno57 import IssuerCodes, PaymentCode, PaymentCodeError
from portal.banking.identity import IdentityError, validate_identity
from portal.db.tables.bills import BillStatus
from portal.imports.records import (
    AccountRecord,
    BillLineRecord,
    BillRecord,
    CustomerRecord,
    LineError,
    PaymentRecord,
)
from portal.settings import IssuerSettings

_DECIMAL = re.compile(r"(-?)([0-9]{1,12})(?:\.([0-9]{1,6}))?")
# Its shape with at most 6 or 2 decimals: what `fixed_point` accepts with those places.
_DECIMAL_6 = r"-?[0-9]{1,12}(?:\.[0-9]{1,6})?"
_DECIMAL_2 = r"-?[0-9]{1,12}(?:\.[0-9]{1,2})?"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_VAT_KIND = "vat"
_FIRST_DAY, _LAST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)
"""The dates a bill or payment may carry. Outside them is a placeholder, not a date (0001-01-01 and
9999-12-31 were stored as PostgreSQL's -infinity and infinity, and a time in year 1 failed its batch)."""


def _in_range(field: str, day: dt.date) -> None:
    if not _FIRST_DAY <= day <= _LAST_DAY:
        raise LineError(field, f"{day.isoformat()} is not between {_FIRST_DAY} and {_LAST_DAY}")


# The rows are frozen msgspec structs rather than frozen dataclasses: as immutable, and a tenth of the
# time to make (a frozen dataclass sets each field through object.__setattr__: 2.3 µs a bill row).
class CustomerRow(msgspec.Struct, frozen=True):
    identity_kind: str
    identity_number: str
    kind: str
    name: str
    email: str
    phone: str


class AccountRow(msgspec.Struct, frozen=True):
    number: str
    holder: str
    """The holder's normalised identity number."""
    supply_address: str
    service: str
    tariff: str
    payment_method: str
    iban_masked: str
    online_bill: bool | None


class BillRow(msgspec.Struct, frozen=True):
    number: str
    account: str
    period_start: dt.date
    period_end: dt.date
    issue_date: dt.date
    due_date: dt.date
    reading_previous: int
    reading_current: int
    consumption_m3: int
    lines: list[dict[str, Any]]
    """As `Bill.lines` stores them: quantities and unit prices in cents as integers when whole."""
    taxable_cents: int
    vat_cents: int
    total_cents: int
    status: str
    paid_at: dt.datetime | None
    code: PaymentCode | None
    """None for a credit bill (total 0 or less): nothing to collect, and a code cannot carry it."""
    values: tuple[Any, ...]
    """The bill table's BILL_COLUMNS for this bill, made as it is checked (in the import's thread), so
    that the writing, which the database waits on, only adds the account's id and the run."""

    def content(self) -> tuple[Any, ...]:
        """What makes the bill this bill (its status and payment may change; nothing else may)."""
        return (
            self.account, self.period_start, self.period_end, self.issue_date, self.due_date,
            self.reading_previous, self.reading_current, self.consumption_m3, self.lines,
            self.taxable_cents, self.vat_cents, self.total_cents,
            self.code.reference if self.code is not None else None,
        )  # fmt: skip


BILL_COLUMNS = (
    "number", "period_start", "period_end", "issue_date", "due_date", "reading_previous", "reading_current",
    "consumption_m3", "lines", "taxable_cents", "vat_cents", "total_cents", "status", "paid_at",
    "payment_suffix", "payment_reference", "payment_identification",
)  # fmt: skip
"""The columns of the bill table that a bill's line decides, in the order of `BillRow.values`."""


class PaymentRow(msgspec.Struct, frozen=True):
    bill: str
    paid_at: dt.datetime
    amount_cents: int
    channel: str


def fixed_point(text: str, field: str, places: int) -> int:
    """A decimal string with at most `places` decimals as an integer count of its last place ("12.3" with
    2 places is 1230), checked by shape. Integers only, never a float (it would blur cents), nor Decimal:
    a bill has a dozen of these, and Decimal was the import's slowest step."""
    match = _DECIMAL.fullmatch(text)
    if match is None:
        raise LineError(field, f'{text!r} is not a decimal such as "12.34" (a dot, no thousands separator)')
    sign, whole, fraction = match.groups()
    if fraction and len(fraction) > places:
        raise LineError(field, f"{text!r} has more than {places} decimals")
    value = int(whole) * 10**places + (int(fraction.ljust(places, "0")) if fraction else 0)
    return -value if sign else value


def cents(text: str, field: str) -> int:
    return fixed_point(text, field, 2)


def _shaped(text: str, places: int) -> int:
    """`fixed_point` of a text already known to have the shape (at most `places` decimals)."""
    whole, _, fraction = text.partition(".")
    return int(whole + fraction.ljust(places, "0"))


def _shaped_cents(text: str, field: str) -> int:
    return _shaped(text, 2)


@lru_cache(maxsize=64)
def _bill_decimals(lines: int) -> re.Pattern[str]:
    """A bill's decimal strings joined with commas: each line's quantity, unit price and amount, then
    taxable, vat and total. No shape has a comma, so the text matches exactly when every string has the
    shape of its field: one match a bill instead of fifteen (`fixed_point` was half of a bill's checks)."""
    line = f"{_DECIMAL_6},{_DECIMAL_6},{_DECIMAL_2},"
    return re.compile(f"(?:{line}){{{lines}}}{_DECIMAL_2},{_DECIMAL_2},{_DECIMAL_2}")


def _decimals_shaped(record: BillRecord) -> bool:
    texts = [text for line in record.lines for text in (line.quantity, line.unit_price, line.amount)]
    texts += (record.taxable, record.vat, record.total)
    return _bill_decimals(len(record.lines)).fullmatch(",".join(texts)) is not None


def json_number(value: int, places: int) -> int | str:
    """A JSON value for a stored quantity or price of `value` × 10^-`places`: an integer when whole, the
    exact decimal without trailing zeros otherwise."""
    unit = 10**places
    if value % unit == 0:
        return value // unit
    whole, fraction = divmod(abs(value), unit)
    return f"{'-' if value < 0 else ''}{whole}.{fraction:0{places}d}".rstrip("0")


def _visible(text: str, field: str) -> str:
    """Free text without Unicode's format characters (category Cf), whose reason names the first one and
    where it is: the operator cannot see it. They are invisible: the bidirectional controls (U+202A-U+202E,
    U+2066-U+2069) and marks (U+200E, U+200F, U+061C) show a name or an address reversed on the bill, the
    pages and the emails ("Trojan Source"), and the others hide text (U+200B zero-width space, U+2060 word
    joiner, U+00AD soft hyphen, U+FEFF, the tags), so that two names that differ look the same. Not one of
    them belongs in Spanish, Catalan, Basque or Galician text: accents, ñ, ç, the punt volat (·),
    apostrophes and a no-break space are letters, punctuation or spaces. Control characters and line
    breaks are refused earlier, by the records' pattern."""
    # Printable text has none (one C scan): the characters are looked at only in the rest.
    if text.isprintable():
        return text
    for position, char in enumerate(text, 1):
        if unicodedata.category(char) == "Cf":
            raise LineError(
                field,
                f"has an invisible formatting character (U+{ord(char):04X} {unicodedata.name(char, '')},"
                f" character {position}), which can show text reversed or hidden: not allowed",
            )
    return text


def _stripped(text: str, field: str) -> str:
    """Free text without its surrounding spaces, which must leave something (a name of spaces was
    stored empty: a blank holder in My bills and on the PDF), and nothing invisible (`_visible`)."""
    stripped = text.strip()
    if not stripped:
        raise LineError(field, "required: it has only spaces")
    return _visible(stripped, field)


def customer(record: CustomerRecord) -> CustomerRow:
    try:
        document = validate_identity(record.identity, "any")
    except IdentityError as exc:
        raise LineError("identity", exc.message) from None
    if (document.kind == "CIF") != (record.kind == "company"):
        raise LineError(
            "kind", f"a {document.kind} belongs to a {'company' if document.kind == 'CIF' else 'person'}"
        )
    email = _visible(record.email.strip(), "email")
    if email and not _EMAIL.fullmatch(email):
        raise LineError("email", f"{email!r} is not an email address")
    return CustomerRow(
        document.kind,
        document.number,
        record.kind,
        _stripped(record.name, "name"),
        email,
        _visible(record.phone.strip(), "phone"),
    )


def _identity(text: str, field: str) -> str:
    try:
        return validate_identity(text, "any").number
    except IdentityError as exc:
        raise LineError(field, exc.message) from None


def _account_number(text: str, field: str) -> str:
    try:
        return _valid_account_number(text)
    except AccountNumberError as exc:
        raise LineError(field, exc.message) from None


# About 50 bills share an account: its Luhn check once, not once a bill (a pure function, so a cache
# changes no outcome; bounded, so memory does not grow with the file).
_valid_account_number = lru_cache(maxsize=4096)(validate_account_number)


def masked_iban(text: str) -> str:
    """``ES76 **** **** **** **** 4821``: the country and check digits and the last four, nothing else."""
    try:
        compact = stdnum_iban.validate(text)
    except ValidationError as exc:
        raise LineError("iban", f"not a valid IBAN ({exc})") from None
    hidden = (len(compact) - 8 + 3) // 4
    return " ".join([compact[:4], *(["****"] * hidden), compact[-4:]])


def account(record: AccountRecord) -> AccountRow:
    number = _account_number(record.number, "number")
    holder = _identity(record.holder, "holder")
    if record.payment_method == "direct_debit" and not record.iban:
        raise LineError("iban", "required when payment_method is direct_debit")
    # With "none" an IBAN is not ours to keep: the billing system may still send the old one.
    iban = masked_iban(record.iban) if record.payment_method == "direct_debit" else ""
    return AccountRow(
        number, holder, _stripped(record.supply_address, "supply_address"),
        _visible(record.service, "service"), _stripped(record.tariff, "tariff"),
        record.payment_method, iban, record.online_bill,
    )  # fmt: skip


def _bill_lines(record: BillRecord) -> tuple[list[dict[str, Any]], int, int]:
    lines = []
    for index, line in enumerate(record.lines):
        where = f"lines[{index}]"
        quantity = fixed_point(line.quantity, f"{where}.quantity", 6)
        unit_price = fixed_point(line.unit_price, f"{where}.unit_price", 6)
        # Millionths of a euro are ten-thousandths of a cent.
        lines.append(
            _stored_line(
                line,
                json_number(quantity, 6),
                json_number(unit_price, 4),
                cents(line.amount, f"{where}.amount"),
            )
        )
    return lines, *_totals(lines)


def _shaped_bill_lines(record: BillRecord) -> tuple[list[dict[str, Any]], int, int]:
    """`_bill_lines` of a bill whose decimal strings all have their shape (`_decimals_shaped`)."""
    lines = []
    for line in record.lines:
        quantity = line.quantity
        # Most quantities are whole (1, or the cubic metres): their stored number is the integer.
        stored_quantity = json_number(_shaped(quantity, 6), 6) if "." in quantity else int(quantity)
        lines.append(
            _stored_line(
                line, stored_quantity, json_number(_shaped(line.unit_price, 6), 4), _shaped(line.amount, 2)
            )
        )
    return lines, *_totals(lines)


def _stored_line(
    line: BillLineRecord, quantity: int | str, unit_price_cents: int | str, amount_cents: int
) -> dict[str, Any]:
    """A bill line as `bill.lines` keeps it."""
    return {
        "kind": line.kind,
        "description": line.description,
        "quantity": quantity,
        "unit_price_cents": unit_price_cents,
        "amount_cents": amount_cents,
    }


def _totals(lines: list[dict[str, Any]]) -> tuple[int, int]:
    """The taxable base and the VAT of a bill's stored lines."""
    taxable = vat = 0
    for line in lines:
        if line["kind"] == _VAT_KIND:
            vat += line["amount_cents"]
        else:
            taxable += line["amount_cents"]
    return taxable, vat


def bill(record: BillRecord, issuer: IssuerSettings) -> BillRow:
    account = _account_number(record.account, "account")
    for field, day in (
        ("issue_date", record.issue_date), ("due_date", record.due_date),
        ("period_start", record.period_start), ("period_end", record.period_end),
    ):  # fmt: skip
        _in_range(field, day)
    if record.paid_at is not None:
        _in_range("paid_at", record.paid_at.date())
    if record.period_end < record.period_start:
        raise LineError("period_end", "before period_start")
    if record.due_date < record.issue_date:
        raise LineError("due_date", "before issue_date")
    for index, line in enumerate(record.lines):
        if not line.description.isprintable():  # as in `_visible`, without its call for every line
            _visible(line.description, f"lines[{index}].description")
    consumption = record.consumption_m3
    if consumption is None:
        consumption = record.reading_current - record.reading_previous
        if consumption < 0:
            raise LineError("reading_current", "below reading_previous: give consumption_m3 (a new meter?)")
    # Every decimal string checked at once; if one is wrong, the careful way, which names the first
    # one at fault exactly as it always did.
    if _decimals_shaped(record):
        (lines, taxable, vat), to_cents = _shaped_bill_lines(record), _shaped_cents
    else:
        (lines, taxable, vat), to_cents = _bill_lines(record), cents
    for field, stated, summed in (("taxable", record.taxable, taxable), ("vat", record.vat, vat)):
        if to_cents(stated, field) != summed:
            raise LineError(field, f"{stated} is not the sum of its lines ({summed / 100:.2f})")
    total = to_cents(record.total, "total")
    if total != taxable + vat:
        raise LineError("total", f"{record.total} is not taxable + vat ({(taxable + vat) / 100:.2f})")
    if record.status == "paid" and record.paid_at is None:
        raise LineError("paid_at", "required when status is paid")
    paid_at = record.paid_at if record.status != "pending" else None
    if total <= 0:
        # A credit bill (a corrective one that gives money back, or one of 0): nothing to collect, so no
        # payment code (none can carry such an amount) and never pending, whatever the status said. A
        # payment_reference has had its shape checked (records); there is no code to keep it in.
        status, code = BillStatus.credit.value, None
        payment: tuple[str | None, ...] = (None, None, None)
    else:
        status, code = record.status, _payment_code(record, issuer, account, total)
        payment = (code.suffix, code.reference, code.identification)
    values = (
        record.number, record.period_start, record.period_end, record.issue_date, record.due_date,
        record.reading_previous, record.reading_current, consumption,
        # msgspec: a tenth of json.dumps's time (stored as jsonb, so its spacing does not matter).
        msgspec.json.encode(lines).decode(), taxable, vat, total, status, paid_at, *payment,
    )  # fmt: skip
    return BillRow(
        record.number, account, record.period_start, record.period_end, record.issue_date, record.due_date,
        record.reading_previous, record.reading_current, consumption, lines, taxable, vat, total,
        status, paid_at, code, values,
    )  # fmt: skip


def _payment_code(record: BillRecord, issuer: IssuerSettings, account: str, total: int) -> PaymentCode:
    reference = record.payment_reference or _reference_from_number(record.number)
    codes = _issuer_codes(issuer.code, issuer.bill_suffix)
    try:
        # Identification: the account's last 6 digits, free data a clerk reads (as the demo's bills).
        if codes is None:  # the issuer's settings are wrong: PaymentCode says how, for every bill
            return PaymentCode.build(issuer.code, issuer.bill_suffix, reference, account[-6:], total)
        return codes.build(reference, account[-6:], total)
    except PaymentCodeError as exc:
        raise LineError("total" if exc.field == "amount" else "payment_reference", exc.message) from None


@lru_cache(maxsize=8)
def _issuer_codes(issuer: str, suffix: str) -> IssuerCodes | None:
    try:
        return IssuerCodes(issuer, suffix)
    except PaymentCodeError:
        return None


def _reference_from_number(number: str) -> str:
    digits = "".join(filter(str.isdigit, number))
    if not 1 <= len(digits) <= 11:
        raise LineError(
            "payment_reference", f"required: the number has {len(digits)} digits, and a default needs 1 to 11"
        )
    return digits.zfill(11)


def payment(record: PaymentRecord) -> PaymentRow:
    _in_range("paid_at", record.paid_at.date())
    return PaymentRow(record.bill, record.paid_at, cents(record.amount, "amount"), record.channel)
