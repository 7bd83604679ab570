"""EPC QR codes ("GiroCode", EPC069-12): a banking app scans one to pay a bills-due document by transfer.

segno's ``make_epc_qr`` encodes the payload at error correction level M, as the standard requires, but
checks little else; the inputs are checked here first (IBAN checksum, BIC, lengths) so that a wrong
setting fails loudly instead of printing a code that no banking app accepts. :func:`epc_payload` gives
the exact text the QR code holds, for tests and logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import segno.helpers
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError

__all__ = ["MAX_AMOUNT_CENTS", "EpcError", "epc_payload", "epc_qr_svg"]

MAX_AMOUNT_CENTS = 99_999_999_999
"""EPC069-12 allows at most 999 999 999.99 euros."""

_UTF8 = "1"  # the payload's character set line; the QR code is encoded in UTF-8 to match
_MAX_PAYLOAD_BYTES = 331


class EpcError(ValueError):
    """The data for an EPC QR code does not meet EPC069-12; ``message`` says which part."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class _Transfer:
    """Checked, normalised transfer data; empty strings stand for absent optional fields."""

    name: str
    iban: str
    bic: str
    amount_cents: int
    text: str
    reference: str

    @property
    def payload(self) -> str:
        euros, cents = divmod(self.amount_cents, 100)
        lines = [
            "BCD",
            "002",
            _UTF8,
            "SCT",
            self.bic,
            self.name,
            self.iban,
            f"EUR{euros}.{cents:02d}".rstrip("0").rstrip("."),
            "",  # purpose
            self.reference,
        ]
        if self.text:
            lines.append(self.text)
        return "\n".join(lines)


def _transfer(
    name: str, iban: str, bic: str | None, amount_cents: int, text: str | None, reference: str | None
) -> _Transfer:
    name, text, reference = name.strip(), (text or "").strip(), (reference or "").strip()
    if not 0 < len(name) <= 70:
        raise EpcError("The beneficiary name must be 1 to 70 characters")
    try:
        iban = stdnum_iban.validate(iban)
    except ValidationError:
        raise EpcError(f"{iban!r} is not a valid IBAN") from None
    try:
        bic = stdnum_bic.validate(bic) if bic else ""
    except ValidationError:
        raise EpcError(f"{bic!r} is not a valid BIC") from None
    if not 0 < amount_cents <= MAX_AMOUNT_CENTS:
        raise EpcError("The amount must be 0.01 to 999999999.99 euros")
    if bool(text) == bool(reference):
        raise EpcError("Give either a remittance text or a structured reference, not both")
    if len(reference) > 35:
        raise EpcError("A structured reference is at most 35 characters")
    if len(text) > 140:
        raise EpcError("A remittance text is at most 140 characters")
    transfer = _Transfer(name, iban, bic, amount_cents, text, reference)
    if len(transfer.payload.encode("utf-8")) > _MAX_PAYLOAD_BYTES:
        raise EpcError(
            f"The name and text are too long together: an EPC QR code holds {_MAX_PAYLOAD_BYTES} bytes"
        )
    return transfer


def epc_payload(
    name: str,
    iban: str,
    bic: str | None,
    amount_cents: int,
    text: str | None = None,
    reference: str | None = None,
) -> str:
    """The text an EPC QR code holds: one field per line, version 002, UTF-8, no purpose code.

    The amount drops trailing zeros (``EUR12.3``, ``EUR1``) as in the standard's example and as segno
    writes it, so this is exactly what :func:`epc_qr_svg` encodes.
    """
    return _transfer(name, iban, bic, amount_cents, text, reference).payload


def epc_qr_svg(
    name: str,
    iban: str,
    bic: str | None,
    amount_cents: int,
    text: str | None = None,
    reference: str | None = None,
    *,
    module_mm: float = 0.5,
    title: str,
) -> str:
    """An SVG of the EPC QR code, sized in millimetres, with ``title`` as its accessible name (in the
    language of the page or PDF it goes in: the caller's to translate)."""
    transfer = _transfer(name, iban, bic, amount_cents, text, reference)
    qr = segno.helpers.make_epc_qr(
        name=transfer.name,
        iban=transfer.iban,
        amount=Decimal(transfer.amount_cents).scaleb(-2),
        text=transfer.text or None,
        reference=transfer.reference or None,
        bic=transfer.bic or None,
        encoding="utf-8",
    )
    return qr.svg_inline(scale=module_mm, unit="mm", title=title).replace("<svg ", '<svg role="img" ', 1)
