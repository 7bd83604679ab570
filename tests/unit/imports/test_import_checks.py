"""The import's integer parsing of decimal strings gives exactly what the Decimal-based rule gave (the
rule it replaced for speed): the same cents and stored numbers, the same rejections with the same words.
And a bill whose decimal strings are checked all at once (the fast way) gives exactly what checking them
one by one gives."""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from portal.imports import checks
from portal.imports.records import BillRecord, LineError, decode
from portal.settings import Settings
from tests.unit.imports.import_samples import BILL

_SHAPE = re.compile(r"-?[0-9]{1,12}(?:\.([0-9]{1,6}))?")


def decimal_rule(text: str, places: int) -> Decimal:
    """The rule as it was, through Decimal: the reference the integer parsing must match."""
    match = _SHAPE.fullmatch(text)
    if match is None:
        raise LineError("f", f'{text!r} is not a decimal such as "12.34" (a dot, no thousands separator)')
    if match.group(1) and len(match.group(1)) > places:
        raise LineError("f", f"{text!r} has more than {places} decimals")
    return Decimal(text)


def stored_number(value: Decimal) -> int | str:
    """How the Decimal rule stored a quantity or price in a bill's lines."""
    return int(value) if value == value.to_integral_value() else str(value.normalize())


def outcome(parse: object) -> tuple[str, object]:
    try:
        return "accepted", parse() if callable(parse) else parse
    except LineError as exc:
        return "rejected", (exc.field, exc.reason)


# Decimal-looking strings most of the time (zeros, signs, up to 8 decimals, too many digits), any text
# now and then: a float's "1e3", a comma, "+5", spaces, Unicode digits.
decimal_like = st.one_of(
    st.from_regex(r"\A-?[0-9]{1,14}(\.[0-9]{0,8})?\Z"),
    st.from_regex(r"\A-?0{0,3}[0-9]{0,2}\.?0{0,6}[0-9]?0{0,3}\Z"),
    st.text(alphabet="-+0123456789.,eE _٣１ \t", max_size=20),
    st.text(max_size=12),
)


@settings(max_examples=3000)
@given(decimal_like)
@example("12.34")
@example("-0.01")
@example("-0")
@example("1.5e2")
@example("12.345")
@example("0.000001")
@example("-0.000100")
@example("999999999999.999999")
def test_cents_are_the_decimal_rules(text: str) -> None:
    expected = outcome(lambda: int(decimal_rule(text, 2) * 100))
    assert outcome(lambda: checks.cents(text, "f")) == expected


@settings(max_examples=3000)
@given(decimal_like)
@example("7")
@example("-0.50")
@example("1.000001")
@example("0.000001")
@example("-3.000000")
@example("999999999999.999999")
def test_stored_quantities_and_prices_are_the_decimal_rules(text: str) -> None:
    quantity = outcome(lambda: stored_number(decimal_rule(text, 6)))
    price_cents = outcome(lambda: stored_number(decimal_rule(text, 6) * 100))
    assert outcome(lambda: checks.json_number(checks.fixed_point(text, "f", 6), 6)) == quantity
    assert outcome(lambda: checks.json_number(checks.fixed_point(text, "f", 6), 4)) == price_cents


@pytest.mark.parametrize(("value", "places", "stored"), [(1230, 2, "12.3"), (-5, 4, "-0.0005"), (0, 6, 0)])
def test_stored_numbers_drop_trailing_zeros(value: int, places: int, stored: int | str) -> None:
    assert checks.json_number(value, places) == stored


_ISSUER = Settings.from_env().issuer
_euros = st.integers(min_value=-(10**4), max_value=10**6).map(lambda c: f"{c // 100}.{c % 100:02d}")
_millionths = st.integers(min_value=-(10**8), max_value=10**8).map(lambda m: checks.json_number(m, 6))
_quantity = st.one_of(st.integers(0, 30).map(str), _euros, _millionths.map(str))


@st.composite
def bills(draw: st.DrawFn) -> dict[str, Any]:
    """Well-formed bills whose totals mostly add up, with now and then one or two decimal strings made
    anything (malformed, too many decimals, or well-formed and wrong)."""
    data = copy.deepcopy(BILL)
    data["lines"] = [
        {
            "kind": draw(st.sampled_from(["fixed", "consumption", "sewage", "vat", "other"])),
            "description": "x",
            "quantity": draw(_quantity),
            "unit_price": draw(_quantity),
            "amount": draw(_euros),
        }
        for _ in range(draw(st.integers(1, 6)))
    ]
    taxable = sum(checks.cents(line["amount"], "") for line in data["lines"] if line["kind"] != "vat")
    vat = sum(checks.cents(line["amount"], "") for line in data["lines"] if line["kind"] == "vat")
    data.update(taxable=f"{taxable / 100:.2f}", vat=f"{vat / 100:.2f}", total=f"{(taxable + vat) / 100:.2f}")
    places = [*((i, f) for i in range(len(data["lines"])) for f in ("quantity", "unit_price", "amount"))]
    places += [(None, "taxable"), (None, "vat"), (None, "total")]
    for index, field in draw(st.lists(st.sampled_from(places), max_size=2)):
        (data if index is None else data["lines"][index])[field] = draw(decimal_like)
    return data


def _outcome(record: BillRecord) -> tuple[str, object]:
    try:
        return "accepted", checks.bill(record, _ISSUER)
    except LineError as exc:
        return "rejected", (exc.field, exc.reason)


@settings(max_examples=1500)
@given(bills())
@example({**BILL, "taxable": "13.70", "vat": "1,37"})  # a mismatch before a malformed vat: the mismatch
@example({**BILL, "lines": [{**BILL["lines"][0], "quantity": "1,5"}, *BILL["lines"][1:]]})
@example({**BILL, "lines": [{**BILL["lines"][0], "quantity": "-0.500"}]})
def test_a_bills_decimals_checked_at_once_are_those_checked_one_by_one(data: dict[str, Any]) -> None:
    record = decode(json.dumps(data).encode())
    assert isinstance(record, BillRecord)
    fast = _outcome(record)
    with mock.patch.object(checks, "_decimals_shaped", lambda record: False):
        careful = _outcome(record)
    assert fast == careful
