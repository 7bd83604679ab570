"""Reading and checking what people type in the accounts journeys. Each function returns the values as
typed (to show them back) and a dict of messages by field id, in page order."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from portal.banking.accounts import AccountNumberError, validate_account_number
from portal.banking.cuaderno57 import normalise_digits
from portal.banking.identity import Holder, IdentityError, validate_identity
from portal.banking.money import AmountError, parse_amount
from portal.i18n import gettext as _
from portal.i18n import gettext_noop
from portal.web.forms import Errors, field

_USERNAME = re.compile(r"^[\w.-]{3,60}$")
_BILL_NUMBER = re.compile(r"^[A-Z]{2}[0-9]{11}$")

REGISTRATION_KINDS = {
    "private": gettext_noop("Private user registration"),
    "company": gettext_noop("Company user registration"),
    "administrator": gettext_noop("Administrator user registration"),
}
"""Each type's name, in English: translate it where it is shown."""
HOLDER_OF_KIND: dict[str, Holder] = {"private": "person", "company": "company", "administrator": "any"}


@dataclass(frozen=True)
class BillDetailsForm:
    """The details of one bill that prove its reader holds the account (see the issue note for why)."""

    identity: str = ""
    account_number: str = ""
    bill_number: str = ""
    amount: str = ""


@dataclass(frozen=True)
class BillDetails:
    """The details of a bill, checked: ready to look the bill up."""

    identity_number: str
    account_number: str
    bill_number: str
    amount_cents: int


def bill_details(data: dict[str, Any]) -> BillDetailsForm:
    return BillDetailsForm(
        identity=field(data, "identity"),
        account_number=field(data, "account_number"),
        bill_number=field(data, "bill_number"),
        amount=field(data, "amount"),
    )


def check_bill_details(details: BillDetailsForm, kind: str) -> tuple[BillDetails | None, Errors]:
    errors: Errors = {}
    identity_number = account = bill_number = ""
    cents = 0
    try:
        identity_number = validate_identity(details.identity, HOLDER_OF_KIND[kind]).number
    except IdentityError as exc:
        errors["identity"] = (
            exc.message if details.identity else _("Enter the identity document of the holder")
        )
    try:
        account = validate_account_number(details.account_number)
    except AccountNumberError as exc:
        errors["account_number"] = exc.message if details.account_number else _("Enter the account number")
    bill_number = normalise_digits(details.bill_number).upper()
    if not bill_number:
        errors["bill_number"] = _("Enter the bill number")
    elif not _BILL_NUMBER.match(bill_number):
        errors["bill_number"] = _(
            "Enter the bill number as it is printed, 2 letters and 11 digits, like FA00000000025"
        )
    try:
        cents = parse_amount(details.amount)
    except AmountError as exc:
        errors["amount"] = exc.message if details.amount else _("Enter the total amount of the bill")
    if errors:
        return None, errors
    return BillDetails(identity_number, account, bill_number, cents), {}


def username_problem(username: str) -> str | None:
    if not username:
        return _("Enter a username")
    if not _USERNAME.match(username):
        return _(
            "Your username must be 3 to 60 letters, digits, dots, hyphens or underscores, with no spaces"
        )
    return None


def checkbox(data: dict[str, Any], name: str) -> bool:
    # A checkbox posts its value ("true") only when ticked.
    return field(data, name) == "true"
