"""Reading what payers type: the bill's payment data ("Pay now with CPR code"), the number under the
barcode ("Pay now with barcode") and the email for the receipt. Pure functions: each returns the parsed
code or messages by field id, in page order; nothing here looks anything up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal.banking.cuaderno57 import (
    CPR_CUADERNO_57,
    PaymentCode,
    PaymentCodeError,
    has_other_digits,
    normalise_digits,
    parse_issuer_suffix,
)
from portal.banking.money import AmountError, parse_amount
from portal.i18n import gettext as _
from portal.i18n import gettext_noop
from portal.settings import IssuerSettings
from portal.web.forms import Errors, email_problem, field

# The reference's check digits cover the identification and amount too: a mismatch may be in any of them.
CHECK_DETAILS = gettext_noop(
    "The reference, identification and amount do not match each other: check all three as they are "
    "printed on your bill"
)
CHECK_BARCODE = gettext_noop(
    "Check the number under the barcode: its check digits do not match the rest of the number"
)


@dataclass(frozen=True)
class CodeForm:
    """The five details printed at the bottom of a bill, as typed (to show them back)."""

    cpr: str = ""
    issuer: str = ""
    reference: str = ""
    identification: str = ""
    amount: str = ""


@dataclass(frozen=True)
class Code:
    """A code whose parts are well formed and ours (CPR, issuer, suffix); not yet looked up.

    ``fields`` maps each part to the form field that shows its messages: the CPR form has one field per
    part, the barcode form one field for all.
    """

    issuer: str
    suffix: str
    reference: str
    identification: str
    amount_cents: int
    fields: dict[str, str]

    def field_of(self, part: str) -> str:
        return self.fields.get(part, part)


def read_code_form(data: dict[str, Any]) -> CodeForm:
    return CodeForm(
        cpr=field(data, "cpr"),
        issuer=field(data, "issuer"),
        reference=field(data, "reference"),
        identification=field(data, "identification"),
        amount=field(data, "amount"),
    )


def _digits(text: str, length: int, empty: str, other_digits: str, wrong: str) -> tuple[str, str | None]:
    digits = normalise_digits(text)
    if not digits:
        return "", empty
    if has_other_digits(digits):
        return "", other_digits
    if len(digits) != length or not digits.isascii() or not digits.isdecimal():
        return "", wrong
    return digits, None


def _issuer_problem(issuer: str, suffix: str, settings: IssuerSettings) -> str | None:
    if issuer != settings.code:
        return _("This issuer is not %(issuer)s: check the issuer on your bill") % {"issuer": settings.name}
    if suffix not in {settings.bill_suffix, settings.document_suffix}:
        return _(
            "We do not issue bills with the suffix %(suffix)s (the 3 digits after the hyphen): "
            "check the issuer on your bill"
        ) % {"suffix": suffix}
    return None


def check_code_form(form: CodeForm, settings: IssuerSettings) -> tuple[Code | None, Errors]:
    """Each field on its own: formats, and whether the CPR code and issuer are ours."""
    errors: Errors = {}
    cpr, problem = _digits(
        form.cpr,
        7,
        _("Enter the CPR code"),
        _("Enter the CPR code with the digits 0 to 9, such as 9050794"),
        _("The CPR code is 7 digits, such as 9050794"),
    )
    if problem:
        errors["cpr"] = problem
    elif cpr != CPR_CUADERNO_57:
        errors["cpr"] = _(
            "We do not collect bills with this CPR code: the CPR code on our bills is %(cpr)s"
        ) % {"cpr": CPR_CUADERNO_57}
    issuer = suffix = ""
    if not form.issuer:
        errors["issuer"] = _("Enter the issuer")
    else:
        try:
            issuer, suffix = parse_issuer_suffix(form.issuer)
        except PaymentCodeError as exc:
            errors["issuer"] = exc.message
        else:
            if problem := _issuer_problem(issuer, suffix, settings):
                errors["issuer"] = problem
    reference, problem = _digits(
        form.reference,
        13,
        _("Enter the reference"),
        _("Enter the reference with the digits 0 to 9, such as 0000000002512"),
        _("The reference is 13 digits, such as 0000000002512"),
    )
    if problem:
        errors["reference"] = problem
    identification, problem = _digits(
        form.identification,
        6,
        _("Enter the identification"),
        _("Enter the identification with the digits 0 to 9, such as 000017"),
        _("The identification is 6 digits, such as 000017"),
    )
    if problem:
        errors["identification"] = problem
    amount_cents = 0
    try:
        amount_cents = parse_amount(form.amount)
    except AmountError as exc:
        errors["amount"] = exc.message if form.amount else _("Enter the amount")
    if errors:
        return None, errors
    return Code(issuer, suffix, reference, identification, amount_cents, fields={}), {}


def check_barcode(text: str, settings: IssuerSettings) -> tuple[Code | None, Errors]:
    """The 46 digits under the barcode, spaces and hyphens allowed; its check digits must match."""
    try:
        code = PaymentCode.parse_barcode(text)
    except PaymentCodeError as exc:
        return None, {"barcode": exc.message if exc.field == "barcode" else _(CHECK_BARCODE)}
    if problem := _issuer_problem(code.issuer, code.suffix, settings):
        return None, {
            "barcode": problem.replace(_("the issuer on your bill"), _("the number under the barcode"))
        }
    parts = ("issuer", "suffix", "reference", "identification", "amount")
    return Code(
        code.issuer,
        code.suffix,
        code.reference,
        code.identification,
        code.amount_cents,
        fields=dict.fromkeys(parts, "barcode"),
    ), {}


def check_email(email: str, *, required: bool) -> str | None:
    """The receipt's address: required when signed in (prefilled), optional otherwise."""
    if not email and not required:
        return None
    if not email:
        return _("Enter the email address for your receipt")
    return email_problem(email)
