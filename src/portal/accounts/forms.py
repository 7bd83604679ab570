"""Reading and checking what people type in the accounts journeys. Each function returns the values as
typed (to show them back) and a dict of messages by field id, in page order."""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass
from typing import Any

from portal.banking.accounts import AccountNumberError, validate_account_number
from portal.banking.cuaderno57 import has_other_letters_or_digits, normalise_digits
from portal.banking.identity import Holder, IdentityError, validate_identity
from portal.banking.money import AmountError, parse_amount
from portal.i18n import gettext as _
from portal.i18n import gettext_noop
from portal.web.forms import Errors, field

_USERNAME_LENGTH = range(3, 61)  # portal_user.username is Varchar(60)
_USERNAME_PUNCTUATION = ".-_"
# Latin letters of European languages that are not a letter a-z with marks added (those all are allowed).
_LATIN_LETTERS_OF_THEIR_OWN = frozenset("ßæœøłđðþ")
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
    elif has_other_letters_or_digits(bill_number):
        errors["bill_number"] = _(
            "Enter the bill number with the digits 0 to 9 and the letters A to Z, such as FA00000000025"
        )
    elif not _BILL_NUMBER.match(bill_number):
        errors["bill_number"] = _(
            "Enter the bill number as it is printed, 2 letters and 11 digits, like FA00000000025"
        )
    try:
        # A bill of 0 (a corrective one that cancels another) prints "Nothing to pay: 0,00 €", and its
        # holder may have no other bill to prove the account with.
        cents = parse_amount(details.amount, zero_allowed=True)
    except AmountError as exc:
        errors["amount"] = exc.message if details.amount else _("Enter the total amount of the bill")
    if errors:
        return None, errors
    return BillDetails(identity_number, account, bill_number, cents), {}


def normalise_login(typed: str) -> str:
    """A username or an email address as it is stored and looked up (sign-in takes either in one field,
    so both are normalised alike). NFKC makes one of the forms a keyboard or a copy may give: full-width
    "ａｎａ" is "ana", "e" typed with a separate accent (NFD) is "é". Then lower-case with str.lower(), as
    RFC 8265 does for usernames: unlike casefold(), it keeps "ß" itself (not "ss") and leaves what is
    already stored in lower case unchanged. NFC at the end composes what lower-casing may decompose.
    Lower-casing can make a text longer ("İ" is "i" and a combining dot): the checks run on this value."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFKC", typed).lower())


def _username_character(char: str) -> bool:
    """A letter a-z with or without marks ("ñ" is "n" and a tilde), another Latin letter, an ASCII digit,
    a dot, a hyphen or an underscore. Letters of other scripts are refused, so nobody can take a name
    that looks like another's ("аna.demo" with a Cyrillic "а"), and so are marks left on their own."""
    decomposed = unicodedata.normalize("NFD", char)
    return (
        char in string.digits
        or char in _USERNAME_PUNCTUATION
        or char in _LATIN_LETTERS_OF_THEIR_OWN
        or (
            decomposed[0] in string.ascii_lowercase
            and all(unicodedata.combining(mark) for mark in decomposed[1:])
        )
    )


def username_problem(username: str) -> str | None:
    """The message for a username as `normalise_login` makes it (the value stored), or None."""
    if not username:
        return _("Enter a username")
    if not all(map(_username_character, username)):
        return _(
            "Your username can only have Latin letters (with or without accents, like á, ñ or ç), digits 0"
            " to 9, dots, hyphens and underscores: no spaces, and no letters of other alphabets, such as"
            " Cyrillic or Greek"
        )
    if all(char in _USERNAME_PUNCTUATION for char in username):
        return _("Your username must have at least one letter or digit")
    if len(username) not in _USERNAME_LENGTH:
        return _("Your username must be %(min)s to %(max)s characters long") % {
            "min": _USERNAME_LENGTH.start,
            "max": _USERNAME_LENGTH.stop - 1,
        }
    return None


def checkbox(data: dict[str, Any], name: str) -> bool:
    # A checkbox posts its value ("true") only when ticked.
    return field(data, name) == "true"
