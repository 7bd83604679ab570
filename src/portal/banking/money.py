"""Amounts of money: integer cents in code and in the database, euros with 2 decimals for people.

Payers type an amount the way their bank or keyboard writes it ("53,98", "53.98", "1.234,56",
"€ 53,98"), so both decimal separators are accepted. Anything ambiguous is refused rather than guessed:
"1.234" may be thousands or a typo with three decimals, and a payment amount must be exact.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency

from portal import i18n
from portal.banking.cuaderno57 import MAX_AMOUNT_CENTS, has_other_digits
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


def parse_amount(text: str, *, zero_allowed: bool = False) -> int:
    """The amount typed in ``text``, in cents: more than 0 (or 0 too, with ``zero_allowed``), with at most
    2 decimals, a euro sign allowed."""
    number = text.strip().removeprefix("€").removesuffix("€").strip()
    if not number:
        raise AmountError(_("Enter an amount"))
    if number[0] in "-\u2212":
        raise AmountError(_("The amount cannot be negative"))
    if has_other_digits(number):
        raise AmountError(_("Enter the amount with the digits 0 to 9, such as 14,69"))
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
    if amount == 0 and not zero_allowed:
        raise AmountError(_("Enter an amount greater than 0"))
    if amount > MAX_AMOUNT_CENTS:
        raise AmountError(_(_TOO_LARGE_MESSAGE))
    return amount


def format_eur(cents: int, locale: Locale | None = None) -> str:
    """An amount as the current language writes it in Spain (`portal.i18n`), or in `locale`:
    ``1.234,56 €`` (Spanish, and English as written in Spain); negative amounts start with "-". The
    number and "€" are joined with a no-break space so that they never wrap apart."""
    if type(cents) is int and (fast := _fast_eur(locale) if locale else _language_eur(i18n.current())):
        return fast(cents)
    return _babel_eur(cents, locale or i18n.babel_locale())


def _babel_eur(cents: int, locale: Locale) -> str:
    return format_currency(Decimal(cents) / 100, "EUR", locale=locale)


# Babel reads the locale's pattern, quantizes a Decimal and looks up the currency's plural name for every
# amount: ≈ 20 µs, and a page of bills shows fifty. The way a locale writes euros (sign, symbol and
# separators around the digits) is read once from Babel's own output; integer cents are then written with
# plain string operations. Only where that reproduces Babel exactly on every probe below: otherwise (a
# locale that groups digits differently, say) every amount goes through Babel.
_PROBES: tuple[int, ...] = (0, 1, 5, 99, 100, 999, 1_000, 1_234, 99_999, 100_000, 123_456, 1_234_567)
_PROBES += (12_345_678, 123_456_789, 100_000_000_00, 123_456_789_012_345)
_PARTS = re.compile(r"(?P<prefix>\D*)1(?P<group>\D+)234(?P=group)567(?P<decimal>\D+)89(?P<suffix>\D*)")


@functools.lru_cache(maxsize=16)
def _fast_eur(locale: Locale) -> Callable[[int], str] | None:
    positive = _PARTS.fullmatch(_babel_eur(123_456_789, locale))
    negative = _PARTS.fullmatch(_babel_eur(-123_456_789, locale))
    if not positive or not negative or positive["group"] != negative["group"]:
        return None
    group, decimal = positive["group"], positive["decimal"]
    if decimal != negative["decimal"]:
        return None
    signs = {False: (positive["prefix"], positive["suffix"]), True: (negative["prefix"], negative["suffix"])}

    def fast(cents: int) -> str:
        prefix, suffix = signs[cents < 0]
        euros, rest = divmod(abs(cents), 100)
        return f"{prefix}{f'{euros:,}'.replace(',', group)}{decimal}{rest:02d}{suffix}"

    if all(fast(cents) == _babel_eur(cents, locale) for probe in _PROBES for cents in (probe, -probe)):
        return fast
    return None


@functools.cache
def _language_eur(language: str) -> Callable[[int], str] | None:
    """`_fast_eur` of a language's locale, found by its name (hashing a Locale costs more)."""
    return _fast_eur(i18n.babel_locale(language))
