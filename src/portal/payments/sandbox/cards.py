"""The sandbox bank's card form: reading and checking what the payer typed, and what each test card does.

Pure code. Card data lives only in the request that carries it: callers keep the masked number and the
card's behaviour, never the number, expiry, security code or holder name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from stdnum import luhn

from portal.i18n import gettext as _
from portal.web.forms import Errors, field

_SEPARATORS = re.compile(r"[\s-]+")
_EXPIRY = re.compile(
    r"(?P<month>[0-9]{1,2})\s*[/-]\s*(?P<year>[0-9]{2}|[0-9]{4})|(?P<m>[0-9]{2})(?P<y>[0-9]{2})"
)
_CVV = re.compile(r"[0-9]{3}")
HOLDER_MAX = 60


@dataclass(frozen=True)
class Behaviour:
    """What the sandbox does with a card: ask for a 3-D Secure code first or not, then authorise or deny."""

    challenge: bool
    authorise: bool


# The test cards of ../shared/specs/redsys.md. Any other Luhn-valid card is authorised without a challenge.
TEST_CARDS: dict[str, Behaviour] = {
    "4548812049400004": Behaviour(challenge=False, authorise=True),
    "5576440022788500": Behaviour(challenge=False, authorise=False),
    "4918019199883839": Behaviour(challenge=True, authorise=True),
    "4907271141151707": Behaviour(challenge=True, authorise=False),
}
OTHER_CARDS = Behaviour(challenge=False, authorise=True)


@dataclass(frozen=True)
class CardForm:
    """The card form as typed (shown back on errors; the security code never is)."""

    number: str = ""
    expiry: str = ""
    cvv: str = ""
    holder: str = ""


@dataclass(frozen=True)
class Card:
    """A card that passed the checks: what the rest of the sandbox may keep of it."""

    masked: str  # 454881******0004
    brand: str  # Redsys Ds_Card_Brand: 1 Visa, 2 Mastercard, 6 other
    behaviour: Behaviour


def card_form(data: dict[str, Any]) -> CardForm:
    return CardForm(
        number=field(data, "card_number"),
        expiry=field(data, "expiry"),
        cvv=field(data, "cvv"),
        holder=field(data, "holder"),
    )


def mask(digits: str) -> str:
    """First six and last four digits, the rest as asterisks (PCI DSS display rule)."""
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def _brand(digits: str) -> str:
    if digits.startswith("4"):
        return "1"
    if digits[:2] in {"51", "52", "53", "54", "55"} or 2221 <= int(digits[:4]) <= 2720:
        return "2"
    return "6"


def _number_problem(typed: str) -> tuple[str, str | None]:
    digits = _SEPARATORS.sub("", typed)
    if not typed:
        return "", _("Enter the card number")
    if not (digits.isascii() and digits.isdigit()):
        return "", _("The card number must contain only digits, spaces and hyphens")
    if not 13 <= len(digits) <= 19:
        return "", _("The card number must be between 13 and 19 digits")
    if not luhn.is_valid(digits):
        return "", _("Check the card number: it is not a valid card number")
    return digits, None


def _expiry_problem(typed: str, today: date) -> str | None:
    if not typed:
        return _("Enter the expiry date of the card")
    match = _EXPIRY.fullmatch(typed)
    if not match:
        return _("Enter the expiry date as it is shown on the card, like 08/29")
    month = int(match["month"] or match["m"])
    year = int(match["year"] or match["y"])
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        return _("The expiry month must be a number from 01 to 12")
    # A card is valid until the last day of its expiry month.
    if (year, month) < (today.year, today.month):
        return _("This card has expired: check the expiry date or use another card")
    if year > today.year + 20:
        return _("Check the expiry date: it is too far in the future")
    return None


def check_card(form: CardForm, today: date) -> tuple[Card | None, Errors]:
    """The card, or the messages by field id in page order."""
    errors: Errors = {}
    digits, problem = _number_problem(form.number)
    if problem:
        errors["card_number"] = problem
    if problem := _expiry_problem(form.expiry, today):
        errors["expiry"] = problem
    if not form.cvv:
        errors["cvv"] = _("Enter the security code")
    elif not _CVV.fullmatch(form.cvv):
        errors["cvv"] = _("The security code must be the 3 digits on the back of the card")
    if not form.holder:
        errors["holder"] = _("Enter the name on the card")
    elif len(form.holder) > HOLDER_MAX:
        too_long = _("The name on the card must be %(count)d characters or fewer")
        errors["holder"] = too_long % {"count": HOLDER_MAX}
    if errors:
        return None, errors
    behaviour = TEST_CARDS.get(digits, OTHER_CARDS)
    return Card(masked=mask(digits), brand=_brand(digits), behaviour=behaviour), {}
