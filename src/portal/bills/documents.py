"""A bill as a document: everything printed on it (:class:`BillDocument`), checked to add up. The printed
PDF is drawn by `portal.bills.pdf`; the Factur-X invoice inside it is written by `portal.bills.facturx`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from portal.banking.cuaderno57 import PaymentCode
from portal.i18n import gettext as _
from portal.settings import IssuerSettings

MAX_HISTORY = 12
_BILLABLE_KINDS = ("fixed", "consumption", "sewage", "other")
VAT_KIND = "vat"
_KINDS = (*_BILLABLE_KINDS, VAT_KIND)
METERED_KINDS = ("consumption", "sewage")
"""Line kinds counted in cubic metres."""
_POSTCODE_CITY = re.compile(r"(?P<postcode>[0-9]{5})\s+(?P<city>\S.*)")


@dataclass(frozen=True, slots=True)
class BillLine:
    """One printed line, as stored in ``Bill.lines``: ``kind`` is fixed, consumption, sewage, other or
    vat. Quantities and unit prices may have decimals (the billing system's, up to 6 in euros), so they
    are Decimals; the amount is whole cents."""

    kind: str
    description: str
    quantity: Decimal
    unit_price_cents: Decimal
    amount_cents: int

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"A bill line's kind is one of {', '.join(_KINDS)}, not {self.kind!r}")


@dataclass(frozen=True, slots=True)
class ConsumptionPoint:
    """One bar of the consumption chart: a period's short label (``Oct 26``) and its m³."""

    label: str
    m3: int


@dataclass(frozen=True, slots=True)
class BillDocument:
    """Everything printed on one bill. Constructing it checks that the amounts add up.

    ``lines`` are the bill's lines in print order, the VAT line(s) included; ``history`` is up to the
    last 12 periods, oldest first, this bill's period last. ``payment_method_note`` is set when the bill
    is paid by direct debit (e.g. ``Paid by direct debit from ES91 **** 1332``): the payment section then
    says it will be debited, and still prints the payment code. ``payment`` is None for a credit bill
    (a total of 0 or less): nothing to collect, so no code, and the bill says so.
    """

    issuer: IssuerSettings
    holder_name: str
    holder_identity: str
    holder_address: str
    account_number: str
    tariff: str
    bill_number: str
    period_start: date
    period_end: date
    issue_date: date
    due_date: date
    reading_previous: int
    reading_current: int
    consumption_m3: int
    lines: tuple[BillLine, ...]
    taxable_cents: int
    vat_cents: int
    total_cents: int
    payment: PaymentCode | None
    history: tuple[ConsumptionPoint, ...] = ()
    vat_percent: int = 10
    payment_method_note: str | None = None

    def __post_init__(self) -> None:
        billable = sum(line.amount_cents for line in self.billable_lines)
        if billable != self.taxable_cents:
            raise ValueError(
                f"The lines add up to {billable} cents but taxable_cents is {self.taxable_cents}"
            )
        vat_lines = [line for line in self.lines if line.kind == VAT_KIND]
        if vat_lines and sum(line.amount_cents for line in vat_lines) != self.vat_cents:
            raise ValueError("The VAT lines do not add up to vat_cents")
        if self.taxable_cents + self.vat_cents != self.total_cents:
            raise ValueError("taxable_cents + vat_cents must equal total_cents")
        if self.payment is None:
            if self.total_cents > 0:
                raise ValueError("A bill with something to pay has a payment code")
        elif self.payment.amount_cents != self.total_cents:
            raise ValueError("The payment code's amount must be the bill's total")
        elif self.payment.issuer != self.issuer.code:
            raise ValueError("The payment code's issuer must be the issuer's code")
        if len(self.history) > MAX_HISTORY:
            raise ValueError(f"The consumption chart shows at most {MAX_HISTORY} periods")
        if self.period_end < self.period_start:
            raise ValueError("The billing period ends before it starts")

    @property
    def is_credit(self) -> bool:
        """A credit bill: its total is 0 or less, nothing is to be paid (`BillStatus.credit`)."""
        return self.payment is None

    @property
    def billable_lines(self) -> tuple[BillLine, ...]:
        """The lines that make up the taxable amount (everything but VAT)."""
        return tuple(line for line in self.lines if line.kind != VAT_KIND)


def lines_from_json(lines: Iterable[Mapping[str, Any]]) -> tuple[BillLine, ...]:
    """``Bill.lines`` (a list of dicts) as :class:`BillLine` objects."""
    return tuple(
        BillLine(
            kind=str(line["kind"]),
            description=str(line["description"]),
            # Whole numbers are stored as JSON integers, others as decimal strings (never floats).
            quantity=Decimal(str(line["quantity"])),
            unit_price_cents=Decimal(str(line["unit_price_cents"])),
            amount_cents=int(line["amount_cents"]),
        )
        for line in lines
    )


def split_address(address: str) -> tuple[str, str, str]:
    """(street, postcode, city) of ``Calle Mayor 12, 3.º B, 28013 Madrid``; postcode and city may be ""."""
    street, _, last = address.rpartition(",")
    match = _POSTCODE_CITY.fullmatch(last.strip())
    if street and match:
        return street.strip(), match["postcode"], match["city"].strip()
    return address.strip(), "", ""


def vat_line_description(doc: BillDocument) -> str:
    fallback = _("VAT %(percent)s%%") % {"percent": doc.vat_percent}
    return next((line.description for line in doc.lines if line.kind == VAT_KIND), fallback)
