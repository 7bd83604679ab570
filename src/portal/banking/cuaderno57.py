"""Cuaderno 57 payment codes: the data Spanish banks need to collect a bill at the counter or online.

A code is an issuer, a suffix, a reference with two check digits, an identification and an amount. The
portal prints codes on bills and bills-due documents and accepts them back in "pay a bill", so one class,
:class:`PaymentCode`, does both: it cannot hold an invalid code, it renders the 46-digit format 507 barcode
number and it parses that number back. The check digits make a typing mistake visible before any money
moves; this module is the only place that computes them. See ``specs/payment-codes.md``.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass
from datetime import date

from portal.i18n import gettext as _

__all__ = [
    "BARCODE_LENGTH",
    "BARCODE_PREFIX",
    "CPR_CUADERNO_57",
    "FIRST_DEADLINE_SUFFIX",
    "MAX_AMOUNT_CENTS",
    "IssuerCodes",
    "PaymentCode",
    "PaymentCodeError",
    "check_digits_for_sum",
    "deadline_identification",
    "full_reference",
    "has_other_digits",
    "has_other_letters_or_digits",
    "normalise_digits",
    "parse_deadline_identification",
    "parse_issuer_suffix",
    "reference_check_digits",
    "suffix_has_deadline",
]

CPR_CUADERNO_57 = "9050794"
"""The CPR code printed on every bill: fixed by the banks for Cuaderno 57, never computed."""

BARCODE_PREFIX = "90507"
"""Application identifier ``90`` and format ``507`` that start every barcode number."""

BARCODE_LENGTH = 46

MAX_AMOUNT_CENTS = 9_999_999_999
"""The barcode holds the amount as 10 digits of cents."""

FIRST_DEADLINE_SUFFIX = 500
"""Suffixes from here to 999 make the identification a ``DDMMYY`` deadline that banks enforce."""

# ASCII only: str.isdigit() and int() also accept "٣" or "３", which no bank accepts.
_DIGITS = re.compile(r"[0-9]+")
# Any Unicode space (\s covers no-break spaces) or dash, plus the invisible characters that copying
# from a PDF can bring along (soft hyphen, zero-width space, byte order mark).
_SEPARATORS = re.compile(r"[\s\-\u00ad\u2010-\u2015\u2212\ufe58\ufe63\uff0d\u200b\ufeff]+")
# A set, not the string: NFKC makes some characters two letters ("ĳ" is "ij"), which are not one of them.
_ASCII_LETTERS = frozenset(string.ascii_letters)


class PaymentCodeError(ValueError):
    """A payment code, or one of its parts, is not valid.

    ``field`` names the part at fault — ``barcode``, ``issuer_suffix``, ``issuer``, ``suffix``,
    ``reference``, ``identification`` or ``amount`` — so that a form shows ``message`` next to the
    right input.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def normalise_digits(text: str) -> str:
    """Remove the spaces and hyphens people copy from paper and PDFs (``12345678-501``).

    Any Unicode space or dash counts, because copying from a PDF often yields no-break spaces or en
    dashes. What is left is not checked: each caller validates it with its own message.
    """
    return _SEPARATORS.sub("", text)


def has_other_digits(text: str) -> bool:
    """Whether ``text`` has a digit other than 0 to 9: full-width "９" from an East Asian input method,
    Arabic-Indic "٩", any script's. They are refused like any other character, but the payer did type
    digits, so the message asks for 0 to 9 rather than blame the length."""
    return any(char.isdecimal() and not char.isascii() for char in text)


def has_other_letters_or_digits(text: str) -> bool:
    """Whether ``text`` has a digit other than 0 to 9 (`has_other_digits`) or a letter that stands for
    one of A to Z without being it: full-width "Ｚ" from an East Asian input method, or another form that
    compatibility normalisation (NFKC) makes A to Z. For numbers with letters, such as a DNI: the letters
    were typed too, so the message asks for 0 to 9 and A to Z rather than blame the shape."""
    return has_other_digits(text) or any(
        not char.isascii() and unicodedata.normalize("NFKC", char) in _ASCII_LETTERS for char in text
    )


def _require_digits(value: str, length: int, field: str, name: str) -> None:
    if len(value) != length or not _DIGITS.fullmatch(value):
        raise PaymentCodeError(field, f"{name} must be {length} digits")


def _require_amount(amount_cents: int) -> None:
    # bool is an int, and a float would pass the range check: money is integer cents only.
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise TypeError(f"amount_cents must be an int, not {type(amount_cents).__name__}")
    if amount_cents <= 0:
        raise PaymentCodeError("amount", _("The amount must be greater than 0"))
    if amount_cents > MAX_AMOUNT_CENTS:
        raise PaymentCodeError("amount", _("The amount is too large for a payment code"))


def check_digits_for_sum(total: int) -> str:
    """The two check digits for ``S``, the sum of a code's fields as integers.

    Separate from :func:`reference_check_digits` so the standard's own example, given as ``S``, is
    testable as printed. ``100 - floor(100 * r / 97)`` is 2 to 99 for ``r`` in 1 to 96, and a different
    value for each ``r``: the check digits change whenever ``S mod 97`` does.
    """
    remainder = total % 97
    return "00" if remainder == 0 else f"{100 - 100 * remainder // 97:02d}"


def reference_check_digits(
    reference11: str, issuer: str, suffix: str, identification: str, amount_cents: int
) -> str:
    """The two check digits of an 11-digit reference, which cover every field of the code."""
    _require_digits(issuer, 8, "issuer", "The issuer")
    _require_digits(suffix, 3, "suffix", "The suffix")
    _require_digits(reference11, 11, "reference", "The reference without its check digits")
    _require_digits(identification, 6, "identification", "The identification")
    _require_amount(amount_cents)
    return check_digits_for_sum(
        int(reference11) + int(issuer) + int(suffix) + int(identification) + amount_cents
    )


def full_reference(reference11: str, issuer: str, suffix: str, identification: str, amount_cents: int) -> str:
    """The 13-digit reference printed on paper: the issuer's 11 digits, then the 2 check digits."""
    return reference11 + reference_check_digits(reference11, issuer, suffix, identification, amount_cents)


def suffix_has_deadline(suffix: str) -> bool:
    """Whether codes with this suffix carry a deadline (``DDMMYY``) as their identification."""
    _require_digits(suffix, 3, "suffix", "The suffix")
    return int(suffix) >= FIRST_DEADLINE_SUFFIX


def deadline_identification(deadline: date) -> str:
    """The identification (``DDMMYY``) of a code that banks must refuse after ``deadline``.

    Only years 2000–2099 are accepted, so that :func:`parse_deadline_identification` reads back the
    same date.
    """
    if not 2000 <= deadline.year <= 2099:
        raise PaymentCodeError("identification", _("A deadline must be in the years 2000 to 2099"))
    return deadline.strftime("%d%m%y")


def parse_deadline_identification(identification: str) -> date:
    """The deadline written in an identification ``DDMMYY`` (years 2000–2099)."""
    _require_digits(identification, 6, "identification", "The identification")
    day, month, year = int(identification[:2]), int(identification[2:4]), int(identification[4:])
    try:
        return date(2000 + year, month, day)
    except ValueError:
        raise PaymentCodeError(
            "identification", _("The identification of this code must be a date written DDMMYY")
        ) from None


def parse_issuer_suffix(text: str) -> tuple[str, str]:
    """Split the issuer and suffix as printed together (``12345678-501``) or typed without the hyphen."""
    digits = normalise_digits(text)
    if has_other_digits(digits):
        raise PaymentCodeError(
            "issuer_suffix", _("Enter the issuer with the digits 0 to 9, such as 58818501-001")
        )
    if len(digits) != 11 or not _DIGITS.fullmatch(digits):
        raise PaymentCodeError(
            "issuer_suffix", _("The issuer and suffix are 11 digits, such as 58818501-001")
        )
    return digits[:8], digits[8:]


@dataclass(frozen=True, slots=True)
class PaymentCode:
    """One Cuaderno 57 payment code; constructing it checks every field and the check digits.

    ``reference`` is the 13-digit reference including its check digits, as printed. Use :meth:`build`
    to make a new code from an 11-digit reference and :meth:`parse_barcode` to read a typed barcode
    number. Whether a deadline has passed is for the caller to decide (see :attr:`deadline`).
    """

    issuer: str
    suffix: str
    reference: str
    identification: str
    amount_cents: int

    def __post_init__(self) -> None:
        _require_digits(self.reference, 13, "reference", "The reference")
        expected = reference_check_digits(
            self.reference[:11], self.issuer, self.suffix, self.identification, self.amount_cents
        )
        if self.reference[11:] != expected:
            raise PaymentCodeError(
                "reference", _("Check the reference: its last two digits do not match the rest of the code")
            )
        if suffix_has_deadline(self.suffix):
            parse_deadline_identification(self.identification)

    @classmethod
    def build(
        cls, issuer: str, suffix: str, reference11: str, identification: str, amount_cents: int
    ) -> PaymentCode:
        """A new code for the issuer's 11-digit reference, with its check digits computed."""
        reference = full_reference(reference11, issuer, suffix, identification, amount_cents)
        return cls(issuer, suffix, reference, identification, amount_cents)

    @classmethod
    def _checked(
        cls, issuer: str, suffix: str, reference: str, identification: str, amount_cents: int
    ) -> PaymentCode:
        """A code whose every field and check digits the caller has just checked (IssuerCodes): not
        checked a second time."""
        code = object.__new__(cls)
        setattr_ = object.__setattr__
        setattr_(code, "issuer", issuer)
        setattr_(code, "suffix", suffix)
        setattr_(code, "reference", reference)
        setattr_(code, "identification", identification)
        setattr_(code, "amount_cents", amount_cents)
        return code

    @classmethod
    def parse_barcode(cls, text: str) -> PaymentCode:
        """Read the number under a barcode as a payer typed or pasted it (spaces and hyphens allowed)."""
        digits = normalise_digits(text)
        if not digits:
            raise PaymentCodeError("barcode", _("Enter the number under the barcode"))
        if has_other_digits(digits):
            raise PaymentCodeError("barcode", _("Enter the number under the barcode with the digits 0 to 9"))
        if not _DIGITS.fullmatch(digits):
            raise PaymentCodeError("barcode", _("The number under the barcode can only contain digits"))
        if len(digits) != BARCODE_LENGTH:
            raise PaymentCodeError(
                "barcode",
                _("The number under the barcode has %(digits)s digits; you entered %(typed)s")
                % {"digits": BARCODE_LENGTH, "typed": len(digits)},
            )
        if not digits.startswith(BARCODE_PREFIX):
            raise PaymentCodeError(
                "barcode",
                _("This is not a bill payment barcode: its number starts with %(prefix)s")
                % {"prefix": BARCODE_PREFIX},
            )
        if digits[-1] != "0":
            raise PaymentCodeError("barcode", _("Check the number under the barcode: its last digit is 0"))
        return cls(
            issuer=digits[5:13],
            suffix=digits[13:16],
            reference=digits[16:29],
            identification=digits[29:35],
            amount_cents=int(digits[35:45]),
        )

    @property
    def barcode_digits(self) -> str:
        """The 46-digit format 507 number, encoded in the barcode and printed in clear under it."""
        return (
            f"{BARCODE_PREFIX}{self.issuer}{self.suffix}{self.reference}"
            f"{self.identification}{self.amount_cents:010d}0"
        )

    @property
    def issuer_suffix(self) -> str:
        """Issuer and suffix as printed on paper, ``12345678-501``."""
        return f"{self.issuer}-{self.suffix}"

    @property
    def deadline(self) -> date | None:
        """The date after which banks refuse payment (suffixes 500–999), or None."""
        return (
            parse_deadline_identification(self.identification) if suffix_has_deadline(self.suffix) else None
        )


class IssuerCodes:
    """Codes of one issuer and suffix made in bulk (an import's million bills): what
    :meth:`PaymentCode.build` gives, the same code or the same error for the same field, with the issuer
    and suffix checked once and each code's fields and check digits once rather than twice."""

    __slots__ = ("_deadline", "_sum", "issuer", "suffix")

    def __init__(self, issuer: str, suffix: str) -> None:
        _require_digits(issuer, 8, "issuer", "The issuer")
        _require_digits(suffix, 3, "suffix", "The suffix")
        self.issuer, self.suffix = issuer, suffix
        self._sum = int(issuer) + int(suffix)
        self._deadline = suffix_has_deadline(suffix)

    def build(self, reference11: str, identification: str, amount_cents: int) -> PaymentCode:
        # In PaymentCode.build's order, so that a code with two faults names the same one.
        _require_digits(reference11, 11, "reference", "The reference without its check digits")
        _require_digits(identification, 6, "identification", "The identification")
        _require_amount(amount_cents)
        if self._deadline:
            parse_deadline_identification(identification)
        total = self._sum + int(reference11) + int(identification) + amount_cents
        return PaymentCode._checked(
            self.issuer, self.suffix, reference11 + check_digits_for_sum(total), identification, amount_cents
        )
