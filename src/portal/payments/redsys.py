"""The Redsys redirect protocol (``HMAC_SHA256_V1``), both directions, with no I/O.

The portal uses the merchant side (:class:`PaymentRequest`, :func:`verify_notification`); the
sandbox gateway uses the gateway side (:func:`parse_request`, :func:`build_notification`). Both go
through the same helpers for each step — key derivation, signing, parameter encoding and signature
checking — so the sandbox cannot drift from what the portal expects. See ``specs/redsys.md``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, modes

try:
    # 3DES moved to the "decrepit" namespace in cryptography 43; the old path warns and will go away.
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # pragma: no cover - only on cryptography < 43
    from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES  # type: ignore[no-redef]

__all__ = [
    "SIGNATURE_VERSION",
    "Notification",
    "PaymentRequest",
    "RedsysError",
    "RedsysSignatureError",
    "build_notification",
    "decode_parameters",
    "encode_parameters",
    "new_order_id",
    "order_key",
    "parse_request",
    "same_terminal",
    "sign",
    "validate_order",
    "verify_notification",
]

SIGNATURE_VERSION = "HMAC_SHA256_V1"

# Redsys orders: 4 to 12 ASCII characters, the first four digits. Explicit classes rather than
# ``\d``/``\w`` because those also match non-ASCII digits and letters, which Redsys rejects.
_ORDER_RE = re.compile(r"[0-9]{4}[0-9A-Za-z]{0,8}")
_ORDER_TAIL_CHARACTERS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CANCELLED_BY_PAYER = 9915  # Ds_Response when the payer cancels at the gateway

# 3DES-CBC with a fixed all-zero IV is what Redsys specifies; it is a key-derivation step, not
# encryption of anything secret, so the usual objections to a fixed IV do not apply.
_ZERO_IV = bytes(8)

# Field names (compared case-insensitively: Redsys itself is inconsistent, e.g. Ds_Order / DS_ORDER).
_REQUEST_ORDER = "DS_MERCHANT_ORDER"
_NOTIFICATION_ORDER = "DS_ORDER"


class RedsysError(ValueError):
    """A Redsys message is malformed, or a value does not meet Redsys' rules."""


class RedsysSignatureError(RedsysError):
    """A Redsys message's signature (or signature version) does not check out."""


# --- encoding helpers -------------------------------------------------------------------------


def _b64decode_any(value: str) -> bytes:
    """Decode Base64 in either alphabet, with or without padding; strict about anything else.

    Redsys signs requests with the standard alphabet and notifications with the URL-safe one, and
    some integrations strip the padding, so being liberal here costs nothing: callers compare the
    decoded bytes, never the text.
    """
    try:
        text = value.translate(str.maketrans("-_", "+/")).rstrip("=")
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError, AttributeError) as exc:
        raise RedsysError("not valid Base64") from exc


def _fold(params: Mapping[str, str]) -> dict[str, str]:
    """Index parameters by upper-cased name, refusing names that differ only in case.

    Lookups must be case-insensitive, and two spellings of one field would make "which one counts?"
    ambiguous, so such a payload is rejected outright.
    """
    folded: dict[str, str] = {}
    for name, value in params.items():
        key = name.upper()
        if key in folded:
            raise RedsysError(f"parameter {name!r} appears more than once")
        folded[key] = value
    return folded


def _required(folded: Mapping[str, str], name: str) -> str:
    try:
        return folded[name]
    except KeyError:
        raise RedsysError(f"missing parameter {name}") from None


def _as_int(folded: Mapping[str, str], name: str) -> int:
    raw = _required(folded, name)
    # isdecimal()+isascii() rather than int() alone: int() accepts "+5", "1_000" and Arabic digits.
    if not (raw.isascii() and raw.isdecimal()):
        raise RedsysError(f"parameter {name} is not a non-negative integer: {raw!r}")
    return int(raw)


# --- the signature, step by step --------------------------------------------------------------


def order_key(secret_b64: str, order: str) -> bytes:
    """Derive the per-order HMAC key: 3DES-CBC of the zero-padded order under the merchant secret."""
    try:
        secret = base64.b64decode(secret_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RedsysError("merchant secret is not valid Base64") from exc
    if len(secret) != 24:
        # TripleDES would also take 8 or 16 bytes (degenerate keying options), but Redsys keys are 24.
        raise RedsysError(f"merchant secret must decode to 24 bytes, not {len(secret)}")
    data = order.encode("utf-8")
    if not data:
        # The padding rule would turn "" into zero blocks, i.e. an empty HMAC key.
        raise RedsysError("order must not be empty")
    data += bytes(-len(data) % 8)
    encryptor = Cipher(TripleDES(secret), modes.CBC(_ZERO_IV)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def _mac(secret_b64: str, order: str, merchant_parameters_b64: str) -> bytes:
    # The MAC covers the Base64 text exactly as sent, not the decoded JSON.
    try:
        message = merchant_parameters_b64.encode("ascii")
    except UnicodeEncodeError as exc:
        raise RedsysError("merchant parameters are not Base64 text") from exc
    return hmac.new(order_key(secret_b64, order), message, hashlib.sha256).digest()


def sign(secret_b64: str, order: str, merchant_parameters_b64: str, *, urlsafe: bool = False) -> str:
    """Return ``Ds_Signature`` for the given parameters.

    Requests use standard Base64 (the default); notifications use Base64url (``urlsafe=True``).
    """
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    return encode(_mac(secret_b64, order, merchant_parameters_b64)).decode("ascii")


def encode_parameters(params: Mapping[str, str]) -> str:
    """Encode parameters as ``Ds_MerchantParameters``: standard Base64 of compact JSON."""
    # ensure_ascii (the default) keeps accented descriptions as \u escapes, which every gateway parses.
    text = json.dumps(dict(params), separators=(",", ":"))
    return base64.b64encode(text.encode("ascii")).decode("ascii")


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads silently keeps the last of duplicate keys; a signed payload should not be ambiguous.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise RedsysError(f"parameter {key!r} appears more than once")
        result[key] = value
    return result


def decode_parameters(b64: str) -> dict[str, str]:
    """Decode ``Ds_MerchantParameters`` (either Base64 alphabet, padding optional) to a flat dict.

    Raises :class:`RedsysError` unless the payload is a JSON object of string (or integer) values;
    integers are turned into strings so that callers see one type.
    """
    try:
        data = json.loads(_b64decode_any(b64).decode("utf-8"), object_pairs_hook=_reject_duplicates)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise RedsysError("merchant parameters are not Base64 of JSON") from exc
    if not isinstance(data, dict):
        raise RedsysError("merchant parameters are not a JSON object")
    params: dict[str, str] = {}
    for name, value in data.items():
        if isinstance(value, str):
            params[name] = value
        elif isinstance(value, int) and not isinstance(value, bool):
            params[name] = str(value)
        else:
            raise RedsysError(f"parameter {name!r} has unsupported type {type(value).__name__}")
    return params


def _check(
    secret_b64: str, signature_version: str, merchant_parameters_b64: str, signature: str, order_field: str
) -> dict[str, str]:
    """Verify a signed message and return its parameters; the one check both directions share.

    The order that keys the signature comes from the (not yet trusted) payload itself: that is how
    the protocol works, and it is safe because a forged order only yields a different key.
    """
    if signature_version != SIGNATURE_VERSION:
        raise RedsysSignatureError(f"unsupported signature version {signature_version!r}")
    params = decode_parameters(merchant_parameters_b64)
    order = _required(_fold(params), order_field)
    expected = _mac(secret_b64, order, merchant_parameters_b64)
    try:
        given = _b64decode_any(signature)
    except RedsysError as exc:
        raise RedsysSignatureError("signature is not valid Base64") from exc
    # Decoded bytes, so either alphabet is accepted; compare_digest so timing reveals nothing.
    if not hmac.compare_digest(expected, given):
        raise RedsysSignatureError("signature does not match")
    return params


def _signed_fields(
    secret_b64: str, params: Mapping[str, str], order_field: str, *, urlsafe: bool
) -> dict[str, str]:
    """Encode and sign parameters into the three form fields; the one builder both directions share."""
    merchant_parameters = encode_parameters(params)
    order = _required(_fold(params), order_field)
    return {
        "Ds_SignatureVersion": SIGNATURE_VERSION,
        "Ds_MerchantParameters": merchant_parameters,
        "Ds_Signature": sign(secret_b64, order, merchant_parameters, urlsafe=urlsafe),
    }


# --- order ids --------------------------------------------------------------------------------


def validate_order(order: str) -> str:
    """Return ``order`` if it is a valid Redsys order id (4–12 ASCII alphanumerics, first 4 digits)."""
    if not isinstance(order, str) or not _ORDER_RE.fullmatch(order):
        raise RedsysError(f"invalid Redsys order id {order!r}: 4-12 letters/digits, the first 4 digits")
    return order


def new_order_id() -> str:
    """Return a new random 12-character order id: 4 digits, then 8 digits or capital letters.

    Random rather than counted: the bank refuses an order id it has seen, and a database restored from a
    backup, or made again for the same merchant, would count again from where it was. 10⁴ × 36⁸ ≈ 2.8 ×
    10¹⁶ ids leave a clash with one the bank has seen negligible; a clash with one the database holds is
    possible over millions of payments, so the caller draws again on the unique constraint.
    """
    digits = "".join(secrets.choice("0123456789") for _ in range(4))
    return digits + "".join(secrets.choice(_ORDER_TAIL_CHARACTERS) for _ in range(8))


# --- merchant side ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """A payment to start: what the browser posts to the gateway's ``realizarPago`` address."""

    amount_cents: int
    order: str
    merchant_code: str
    terminal: str
    merchant_url: str  # where the gateway posts the notification (server to server)
    url_ok: str  # where the browser returns after success…
    url_ko: str  # …and after failure or cancellation; neither proves anything
    description: str | None = None
    merchant_data: str | None = None
    language: str | None = None  # Redsys language code, e.g. "001" Spanish, "002" English
    currency: str = "978"  # ISO 4217 numeric; 978 = euro
    transaction_type: str = "0"  # 0 = authorisation (payment)

    def __post_init__(self) -> None:
        # Fail here, with a clear message, rather than as an opaque error page on the gateway.
        if isinstance(self.amount_cents, bool) or not isinstance(self.amount_cents, int):
            raise RedsysError("amount_cents must be an int")
        if self.amount_cents <= 0:
            raise RedsysError("amount_cents must be positive")
        validate_order(self.order)

    def parameters(self) -> dict[str, str]:
        """The ``DS_MERCHANT_*`` parameters, optional ones only when set."""
        params = {
            "DS_MERCHANT_AMOUNT": str(self.amount_cents),
            "DS_MERCHANT_ORDER": self.order,
            "DS_MERCHANT_MERCHANTCODE": self.merchant_code,
            "DS_MERCHANT_TERMINAL": self.terminal,
            "DS_MERCHANT_CURRENCY": self.currency,
            "DS_MERCHANT_TRANSACTIONTYPE": self.transaction_type,
            "DS_MERCHANT_MERCHANTURL": self.merchant_url,
            "DS_MERCHANT_URLOK": self.url_ok,
            "DS_MERCHANT_URLKO": self.url_ko,
        }
        optional = {
            "DS_MERCHANT_PRODUCTDESCRIPTION": self.description,
            "DS_MERCHANT_MERCHANTDATA": self.merchant_data,
            "DS_MERCHANT_CONSUMERLANGUAGE": self.language,
        }
        params.update({name: value for name, value in optional.items() if value is not None})
        return params

    def to_form(self, secret_b64: str) -> dict[str, str]:
        """The three form fields: ``Ds_SignatureVersion``, ``Ds_MerchantParameters``, ``Ds_Signature``."""
        return _signed_fields(secret_b64, self.parameters(), _REQUEST_ORDER, urlsafe=False)


@dataclass(frozen=True, slots=True)
class Notification:
    """A verified gateway notification. Only this, never the browser's return, marks a payment paid."""

    order: str
    amount_cents: int
    currency: str
    merchant_code: str | None
    terminal: str | None  # as sent: Redsys pads it ("001" for terminal 1)
    response_code: int
    authorised: bool  # response code 0000-0099
    authorisation_code: str | None
    card_number_masked: str | None
    merchant_data: str | None
    secure_payment: str | None  # "1" when the payer passed 3-D Secure
    date: str | None  # raw, still URL-encoded: "22%2F10%2F2021"
    hour: str | None  # raw, still URL-encoded: "22%3A51"
    # Every parameter as received (a copy); excluded from the hash so the dataclass stays hashable.
    raw: dict[str, str] = field(hash=False, repr=False)


def same_terminal(sent: str | None, ours: str) -> bool:
    """Whether a notification's ``Ds_Terminal`` names our terminal: Redsys pads it with zeros ("001")."""
    if not sent or not (sent.isascii() and sent.isdecimal() and ours.isascii() and ours.isdecimal()):
        return sent == ours
    return int(sent) == int(ours)


def verify_notification(
    secret_b64: str, signature_version: str, merchant_parameters_b64: str, signature: str
) -> Notification:
    """Verify a gateway notification's three form fields and return what it says.

    Raises :class:`RedsysSignatureError` on a wrong version or signature, :class:`RedsysError` on a
    malformed payload.
    """
    params = _check(secret_b64, signature_version, merchant_parameters_b64, signature, _NOTIFICATION_ORDER)
    folded = _fold(params)
    response_code = _as_int(folded, "DS_RESPONSE")
    return Notification(
        # Whole and well formed: the order names the payment, and a longer one is no order of ours.
        order=validate_order(_required(folded, "DS_ORDER")),
        amount_cents=_as_int(folded, "DS_AMOUNT"),
        currency=_required(folded, "DS_CURRENCY"),
        merchant_code=folded.get("DS_MERCHANTCODE"),
        terminal=folded.get("DS_TERMINAL"),
        response_code=response_code,
        authorised=0 <= response_code <= 99,
        authorisation_code=folded.get("DS_AUTHORISATIONCODE"),
        card_number_masked=folded.get("DS_CARD_NUMBER"),
        merchant_data=folded.get("DS_MERCHANTDATA"),
        secure_payment=folded.get("DS_SECUREPAYMENT"),
        date=folded.get("DS_DATE"),
        hour=folded.get("DS_HOUR"),
        raw=dict(params),
    )


# --- gateway side (used by the sandbox bank) --------------------------------------------------


def parse_request(secret_b64: str, form: Mapping[str, str]) -> dict[str, str]:
    """Verify a payment request form as the gateway would and return its ``DS_MERCHANT_*`` parameters."""
    try:
        version = form["Ds_SignatureVersion"]
        merchant_parameters = form["Ds_MerchantParameters"]
        signature = form["Ds_Signature"]
    except KeyError as exc:
        raise RedsysError(f"missing form field {exc.args[0]}") from None
    params = _check(secret_b64, version, merchant_parameters, signature, _REQUEST_ORDER)
    # The real gateway refuses malformed order ids even when correctly signed; so does the sandbox.
    validate_order(_fold(params)[_REQUEST_ORDER])
    return params


def build_notification(secret_b64: str, params: Mapping[str, str]) -> dict[str, str]:
    """Sign notification parameters (which must include ``Ds_Order``) into the three form fields."""
    return _signed_fields(secret_b64, params, _NOTIFICATION_ORDER, urlsafe=True)
