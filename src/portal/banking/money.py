"""Amounts of money: integer cents in code and in the database, euros with 2 decimals for people.

Payers type an amount the way their bank or keyboard writes it ("53,98", "53.98", "1.234,56",
"€ 53,98"), so both decimal separators are accepted. Anything ambiguous is refused rather than guessed:
"1.234" may be thousands or a typo with three decimals, and a payment amount must be exact.
"""

from __future__ import annotations

import re
from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency

from portal import i18n
from portal.banking.cuaderno57 import MAX_AMOUNT_CENTS
from portal.i18n import gettext as _
from portal.i18n import gettext_noop

__all__ = ["MAX_AMOUNT_CENTS", "AmountError", "format_eur", "parse_amount"]

_NUMBER = re.compile(r"[0-9.,]+")  # ASCII digits only
# Whole euros: plain digits, or grouped in threes by one kind of thousands separator.
_EUROS = re.compile(r"[0-9]+|[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]{1,3}(?:,[0-9]{3})+")
_MAX_EURO_DIGITS = len(str(MAX_AMOUNT_CENTS // 100))
_FORMAT_MESSAGE = gettext_noop("Enter the amount in euros, such as 14,69")
_TOO_LARGE_MESSAGE = gettext_noop("The amount must be less than 100 million euros")


class AmountError(ValueError):
    """A typed amount is not valid; ``message`` says what to fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _euros_and_decimals(number: str) -> tuple[str, str]:
    """Split digits and separators into whole euros and the decimals ("" when there are none).

    The last separator is the decimal one when both kinds appear or it appears only once; one kind
    repeated ("1.234.567") can only be thousands.
    """
    dots, commas = number.count("."), number.count(",")
    if (dots and commas) or dots + commas == 1:
        decimal = number[max(number.rfind("."), number.rfind(","))]
        euros, _separator, decimals = number.rpartition(decimal)
        if not decimals:
            raise AmountError(_(_FORMAT_MESSAGE))
        return euros, decimals
    return number, ""


def parse_amount(text: str) -> int:
    """The amount typed in ``text``, in cents: more than 0, with at most 2 decimals, a euro sign allowed."""
    number = text.strip().removeprefix("€").removesuffix("€").strip()
    if not number:
        raise AmountError(_("Enter an amount"))
    if number[0] in "-\u2212":
        raise AmountError(_("The amount cannot be negative"))
    if not _NUMBER.fullmatch(number):
        raise AmountError(_(_FORMAT_MESSAGE))
    euros, decimals = _euros_and_decimals(number)
    if not _EUROS.fullmatch(euros):
        raise AmountError(_(_FORMAT_MESSAGE))
    if len(decimals) > 2:
        raise AmountError(_("Enter the amount with up to 2 decimals, such as 1234,56"))
    euro_digits = euros.replace(".", "").replace(",", "").lstrip("0")
    if len(euro_digits) > _MAX_EURO_DIGITS:  # checked before int() so that huge inputs stay cheap
        raise AmountError(_(_TOO_LARGE_MESSAGE))
    amount = int(euro_digits or "0") * 100 + int(decimals.ljust(2, "0"))
    if amount == 0:
        raise AmountError(_("Enter an amount greater than 0"))
    if amount > MAX_AMOUNT_CENTS:
        raise AmountError(_(_TOO_LARGE_MESSAGE))
    return amount


def format_eur(cents: int, locale: Locale | None = None) -> str:
    """An amount as the current language writes it in Spain (`portal.i18n`), or in `locale`:
    ``1.234,56 €`` (Spanish, and English as written in Spain); negative amounts start with "-". The
    number and "€" are joined with a no-break space so that they never wrap apart."""
    return format_currency(Decimal(cents) / 100, "EUR", locale=locale or i18n.babel_locale())
