"""Customer account numbers: a 9-digit serial and a Luhn check digit, 10 digits in all.

The check digit catches a mistyped digit and most swapped neighbours before any lookup, so a form can say
"check the number" rather than run a query for a number that cannot exist.
"""

from __future__ import annotations

import re

from stdnum import luhn

from portal.banking.cuaderno57 import has_other_digits, normalise_digits
from portal.i18n import gettext as _

__all__ = [
    "ACCOUNT_NUMBER_LENGTH",
    "MAX_SERIAL",
    "AccountNumberError",
    "account_number",
    "validate_account_number",
]

ACCOUNT_NUMBER_LENGTH = 10
MAX_SERIAL = 999_999_999

_ACCOUNT_NUMBER = re.compile(rf"[0-9]{{{ACCOUNT_NUMBER_LENGTH}}}")  # ASCII digits only


class AccountNumberError(ValueError):
    """A typed account number is not valid; ``message`` says what to fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def account_number(serial: int) -> str:
    """The account number for a serial (1 to 999 999 999): the serial zero-padded, then its check digit."""
    if not 1 <= serial <= MAX_SERIAL:
        raise ValueError(f"An account serial is 1 to {MAX_SERIAL}, not {serial}")
    body = f"{serial:09d}"
    return body + luhn.calc_check_digit(body)


def validate_account_number(text: str) -> str:
    """The account number typed in ``text`` without spaces or hyphens, once its check digit matches."""
    number = normalise_digits(text)
    if not number:
        raise AccountNumberError(_("Enter your account number"))
    if has_other_digits(number):
        raise AccountNumberError(_("Enter the account number with the digits 0 to 9, such as 0000000018"))
    if not _ACCOUNT_NUMBER.fullmatch(number):
        raise AccountNumberError(
            _("An account number has %(digits)s digits, such as 0000000018")
            % {"digits": ACCOUNT_NUMBER_LENGTH}
        )
    if not luhn.is_valid(number):
        raise AccountNumberError(_("Check the account number: one of its digits is wrong"))
    return number
