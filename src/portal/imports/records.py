"""The billing system's records as they arrive, one JSON object a line (shared/specs/billing-import.md).

msgspec decodes and checks each line's shape in one pass (types, required and unknown fields, lengths);
the rules that need more than a type (identity documents, Luhn, IBAN, totals) are in `checks`. Amounts are
kept as the strings they came as: `checks` turns them into cents, refusing anything a float would blur.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated, Literal

import msgspec

__all__ = [
    "AccountRecord",
    "BillLineRecord",
    "BillRecord",
    "CustomerRecord",
    "LineError",
    "PaymentRecord",
    "Record",
    "decode",
]

_MAX_INT4 = 2**31 - 1
_PLAIN = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*\Z"
"""Free text without control characters (C0, DEL and C1) nor Unicode's line and paragraph separators:
PostgreSQL cannot store a NUL (the whole batch failed on one), and none of them belongs in a name, an
address or a bill's line, nor in the HTML and XML they go into (C1's U+0085 and the separators break
lines as \\n does; the other C1 come from cp1252 text read as Latin-1: its € becomes U+0080). It ends
in \\Z: a `$` matches before a last \\n too, and a name or a bill line ending in one passed. Invisible
formatting characters are `checks`'."""


_BillNumber = Annotated[str, msgspec.Meta(min_length=1, max_length=20, pattern=r"^[A-Z0-9/-]+$")]


class LineError(Exception):
    """Why a line is rejected: ``field`` (a path such as ``lines[2].amount``, or ``line``) and ``reason``."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class _Record(msgspec.Struct, forbid_unknown_fields=True, tag_field="type"):
    pass


class CustomerRecord(_Record, tag="customer"):
    identity: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
    kind: Literal["person", "company"]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=_PLAIN)]
    email: Annotated[str, msgspec.Meta(max_length=254, pattern=_PLAIN)] = ""
    phone: Annotated[str, msgspec.Meta(max_length=30, pattern=_PLAIN)] = ""


class AccountRecord(_Record, tag="account"):
    number: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
    holder: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
    supply_address: Annotated[str, msgspec.Meta(min_length=1, max_length=300, pattern=_PLAIN)]
    tariff: Annotated[str, msgspec.Meta(min_length=1, max_length=60, pattern=_PLAIN)]
    payment_method: Literal["direct_debit", "none"]
    service: Annotated[str, msgspec.Meta(min_length=1, max_length=20, pattern=_PLAIN)] = "water"
    iban: Annotated[str, msgspec.Meta(max_length=50)] = ""
    online_bill: bool | None = None
    """None (absent): keep what the account has; customers change it in the portal too."""


class BillLineRecord(msgspec.Struct, forbid_unknown_fields=True):
    kind: Literal["fixed", "consumption", "sewage", "vat", "other"]
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=_PLAIN)]
    quantity: str
    unit_price: str
    amount: str


class BillRecord(_Record, tag="bill"):
    number: _BillNumber
    account: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
    issue_date: dt.date
    due_date: dt.date
    period_start: dt.date
    period_end: dt.date
    reading_previous: Annotated[int, msgspec.Meta(ge=0, le=_MAX_INT4)]
    reading_current: Annotated[int, msgspec.Meta(ge=0, le=_MAX_INT4)]
    lines: Annotated[list[BillLineRecord], msgspec.Meta(min_length=1, max_length=50)]
    taxable: str
    vat: str
    total: str
    status: Literal["pending", "paid", "direct_debit"]
    consumption_m3: Annotated[int, msgspec.Meta(ge=0, le=_MAX_INT4)] | None = None
    paid_at: Annotated[dt.datetime, msgspec.Meta(tz=True)] | None = None
    payment_reference: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{11}$")] | None = None


class PaymentRecord(_Record, tag="payment"):
    bill: _BillNumber  # as a bill's: it is echoed in the report ("no bill … in the portal")
    paid_at: Annotated[dt.datetime, msgspec.Meta(tz=True)]
    amount: str
    channel: Literal["bank_counter", "direct_debit", "transfer", "other"]


Record = CustomerRecord | AccountRecord | BillRecord | PaymentRecord
_DECODER = msgspec.json.Decoder(Record)

# msgspec's messages, as "field: reason" in the operator's words.
_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_NAMED = re.compile(r"Object (?P<what>missing required|contains unknown) field `(?P<name>[^`]+)`")
_DECIMAL_FIELDS = frozenset({"quantity", "unit_price", "amount", "taxable", "vat", "total"})


def _path(path: str) -> str:
    return path.removeprefix(".")


def _explain(error: msgspec.ValidationError) -> LineError:
    match = _AT.match(str(error))
    assert match is not None  # the pattern matches any text
    message, path = match["message"], _path(match["path"] or "")
    if named := _NAMED.match(message):
        field = ".".join(part for part in (path, named["name"]) if part)
        if named["what"] == "missing required":
            return LineError(field, "required")
        return LineError(field, "unknown field (check its spelling against the format)")
    if path == "type":
        return LineError("type", "unknown record type: expected customer, account, bill or payment")
    if path.rsplit(".", 1)[-1] in _DECIMAL_FIELDS and "got `" in message:
        return LineError(
            path, 'a decimal string such as "12.34" is required, not a JSON number or other value'
        )
    if not path and message.startswith("Expected `object`"):
        return LineError("line", "each line must be one JSON object")
    if repr(_PLAIN) in message:  # msgspec quotes the pattern as repr() does
        return LineError(path, "has a control character (such as NUL, a tab or a line break): not allowed")
    if "matching regex" in message:
        return LineError(path, "has characters that are not allowed")
    return LineError(path or "line", message.replace("`", ""))


def decode(line: bytes) -> Record:
    """One line as a record, or LineError saying what is wrong with it."""
    try:
        return _DECODER.decode(line)
    except msgspec.ValidationError as exc:
        if str(exc) == "Object missing required field `type`":
            raise LineError("type", "required: customer, account, bill or payment") from None
        raise _explain(exc) from None
    except msgspec.DecodeError as exc:
        raise _lone_surrogate(line) or LineError("line", f"not valid JSON ({exc})") from None
    except RecursionError:
        # msgspec skips a value it does not need (one before "type", say) recursively: arrays nested
        # thousands deep end in RecursionError, which stopped the whole run, not just this line.
        raise LineError("line", "not valid JSON for this format (values nested too deeply)") from None


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _lone_surrogate(line: bytes) -> LineError | None:
    """Half of a UTF-16 surrogate pair written as an escape ("\\ud800") without its other half, if the
    line has one: msgspec refuses it with words that mislead ("Input data was truncated"), the standard
    library's parser keeps it, so its field is found and the character named."""
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return None
    found = _surrogate_in(value, "")
    if found is None:
        return None
    path, char = found
    return LineError(
        path or "line",
        f"has an invalid character: \\u{ord(char):04x} is half of a UTF-16 surrogate pair,"
        " without its other half",
    )


def _surrogate_in(value: object, path: str) -> tuple[str, str] | None:
    """The path (as msgspec writes it) and the first lone surrogate of a parsed JSON value, if any. One in
    a key is reported at its object's path: the key itself cannot be printed."""
    if isinstance(value, str):
        half = _SURROGATE.search(value)
        return (path, half[0]) if half else None
    if isinstance(value, dict):
        for key, item in value.items():
            if found := _surrogate_in(key, path) or _surrogate_in(item, f"{path}.{key}" if path else key):
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if found := _surrogate_in(item, f"{path}[{index}]"):
                return found
    return None
