"""Spanish identity documents: DNI and NIE for people, CIF for companies.

Private users register with their DNI or NIE and company users with their CIF. python-stdnum checks the
numbers; this module works out which document was meant and turns stdnum's exceptions into messages
that say exactly what to fix, because a wrong letter is a different mistake from a missing digit.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Literal

from stdnum.es import cif, dni, nie
from stdnum.exceptions import InvalidChecksum, ValidationError

from portal.banking.cuaderno57 import has_other_letters_or_digits, normalise_digits
from portal.i18n import gettext as _
from portal.i18n import gettext_noop

__all__ = [
    "DocumentKind",
    "Holder",
    "IdentityDocument",
    "IdentityError",
    "normalise_identity",
    "validate_identity",
]

DocumentKind = Literal["DNI", "NIE", "CIF"]
Holder = Literal["person", "company", "any"]
"""Who the document belongs to: a private user (DNI or NIE), a company (CIF), or either."""

_NIE_LETTERS = "XYZ"
_CIF_LETTERS = "ABCDEFGHJNPQRSUVW"  # the legal-entity letters stdnum accepts for a CIF

# Per document: the stdnum module, the message for a wrong shape or length, the message for a wrong check.
_RULES: dict[DocumentKind, tuple[ModuleType, str, str]] = {
    "DNI": (
        dni,
        gettext_noop("A DNI has 8 digits and a letter, such as 12345678Z"),
        gettext_noop("The letter of this DNI does not match its number"),
    ),
    "NIE": (
        nie,
        gettext_noop("An NIE has an X, Y or Z, 7 digits and a letter, such as X1234567L"),
        gettext_noop("The letter of this NIE does not match its number"),
    ),
    "CIF": (
        cif,
        gettext_noop("A CIF has a letter, 7 digits and a check digit or letter, such as B12345674"),
        gettext_noop("The last character of this CIF does not match the rest of it"),
    ),
}
_EMPTY: dict[Holder, str] = {
    "person": gettext_noop("Enter your DNI or NIE"),
    "company": gettext_noop("Enter your company tax number (CIF)"),
    "any": gettext_noop("Enter a DNI, NIE or CIF"),
}
_UNRECOGNISED: dict[Holder, str] = {
    "person": gettext_noop(
        "Enter a DNI (8 digits and a letter) or an NIE (X, Y or Z, 7 digits and a letter)"
    ),
    "company": gettext_noop("Enter a company tax number (CIF) such as B12345674"),
    "any": gettext_noop("Enter a DNI, NIE or CIF, such as 12345678Z or B12345674"),
}

_OTHER_CHARACTERS: dict[Holder, str] = {
    "person": gettext_noop(
        "Enter the DNI or NIE with the digits 0 to 9 and the letters A to Z, such as 12345678Z"
    ),
    "company": gettext_noop("Enter the CIF with the digits 0 to 9 and the letters A to Z, such as B12345674"),
    "any": gettext_noop(
        "Enter the DNI, NIE or CIF with the digits 0 to 9 and the letters A to Z, such as 12345678Z or"
        " B12345674"
    ),
}


class IdentityError(ValueError):
    """An identity document number is not valid; ``message`` says what to fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class IdentityDocument:
    """A valid identity document; ``number`` is normalised (``12345678Z``), ready to store and compare."""

    kind: DocumentKind
    number: str


def normalise_identity(text: str) -> str:
    """Upper case, without the spaces, hyphens and dots people type (``12.345.678-z`` → ``12345678Z``)."""
    return normalise_digits(text).replace(".", "").upper()


def _document_kind(number: str) -> DocumentKind | None:
    """Which document a non-empty number looks like, from its first character."""
    first = number[0]
    if first in _NIE_LETTERS:
        return "NIE"
    if "0" <= first <= "9":
        return "DNI"
    if first in _CIF_LETTERS:
        return "CIF"
    return None


def validate_identity(text: str, kind: Holder) -> IdentityDocument:
    """The identity document typed in ``text``, checked; ``kind`` says whose documents are acceptable."""
    number = normalise_identity(text)
    if not number:
        raise IdentityError(_(_EMPTY[kind]))
    # Refused like any other character below, but a document was typed: "enter a DNI" would mislead.
    if has_other_letters_or_digits(number):
        raise IdentityError(_(_OTHER_CHARACTERS[kind]))
    # ASCII only: stdnum would quietly read "１２" as "12", and nothing else in banking accepts it.
    document = _document_kind(number) if number.isascii() else None
    if kind == "person" and document == "CIF":
        raise IdentityError(_("This looks like a CIF: private users enter their DNI or NIE"))
    if kind == "company" and document in ("DNI", "NIE"):
        raise IdentityError(
            _("This looks like a personal DNI or NIE: enter the company tax number (CIF), such as B12345674")
        )
    if document is None:
        raise IdentityError(_(_UNRECOGNISED[kind]))

    module, shape_message, checksum_message = _RULES[document]
    # stdnum reads a DNI typed without its letter ("123456789") as a wrong letter: it is a missing one.
    if document != "CIF" and not number[-1].isalpha():
        raise IdentityError(_(shape_message))
    try:
        return IdentityDocument(kind=document, number=module.validate(number))
    except InvalidChecksum:
        raise IdentityError(_(checksum_message)) from None
    except ValidationError:  # InvalidFormat or InvalidLength
        raise IdentityError(_(shape_message)) from None
