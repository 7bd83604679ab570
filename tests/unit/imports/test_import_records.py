"""Each line is checked whole, on its own: every bad input of issue 16 gets `field: reason`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from portal.imports import checks
from portal.imports.records import (
    AccountRecord,
    BillRecord,
    CustomerRecord,
    LineError,
    PaymentRecord,
    decode,
)
from portal.settings import Settings
from tests.unit.imports.import_samples import (
    ACCOUNT_RECORD,
    BILL,
    COMPANY,
    CREDIT_BILL,
    CUSTOMER,
    IBAN,
    PAYMENT,
    PERSON,
    ZERO_BILL,
    record,
)

ISSUER = Settings.from_env().issuer


def check(data: dict[str, Any]) -> Any:
    import json

    parsed = decode(json.dumps(data).encode())
    if isinstance(parsed, CustomerRecord):
        return checks.customer(parsed)
    if isinstance(parsed, AccountRecord):
        return checks.account(parsed)
    if isinstance(parsed, BillRecord):
        return checks.bill(parsed, ISSUER)
    assert isinstance(parsed, PaymentRecord)
    return checks.payment(parsed)


def rejected(data: dict[str, Any] | bytes) -> tuple[str, str]:
    with pytest.raises(LineError) as caught:
        if isinstance(data, bytes):
            decode(data)
        else:
            check(data)
    return caught.value.field, caught.value.reason


def test_the_samples_are_valid() -> None:
    bill = check(BILL)
    assert (bill.taxable_cents, bill.vat_cents, bill.total_cents, bill.consumption_m3) == (
        1371,
        137,
        1508,
        12,
    )
    assert bill.code.reference[:11] == "02026000101"  # the number's digits, as the contract's default
    assert check(CUSTOMER).identity_number == PERSON
    assert check(PAYMENT).amount_cents == 1508


def test_not_json() -> None:
    field, reason = rejected(b'{"type": "customer", "identity": ')
    assert field == "line" and "not valid JSON" in reason


def test_not_an_object() -> None:
    assert rejected(b"[1, 2]") == ("line", "each line must be one JSON object")


def test_unknown_type() -> None:
    field, reason = rejected(record(CUSTOMER, type="invoice"))
    assert field == "type" and "customer, account, bill or payment" in reason


def test_missing_type() -> None:
    assert rejected(record(CUSTOMER, type=None))[0] == "type"


def test_unknown_field() -> None:
    field, reason = rejected(record(CUSTOMER, nmae="Typo"))
    assert field == "nmae" and "unknown field" in reason


def test_unknown_field_inside_a_bill_line() -> None:
    lines = [dict(BILL["lines"][0], colour="red"), *BILL["lines"][1:]]
    assert rejected(record(BILL, lines=lines))[0] == "lines[0].colour"


def test_missing_field() -> None:
    assert rejected(record(BILL, due_date=None)) == ("due_date", "required")


def test_a_float_where_a_decimal_string_is_required() -> None:
    field, reason = rejected(record(BILL, total=15.08))
    assert field == "total" and "decimal string" in reason


def test_a_float_in_a_bill_line() -> None:
    lines = [dict(BILL["lines"][0], amount=6.75), *BILL["lines"][1:]]
    assert rejected(record(BILL, lines=lines))[0] == "lines[0].amount"


def test_an_amount_with_three_decimals() -> None:
    field, reason = rejected(record(PAYMENT, amount="15.080"))
    assert field == "amount" and "more than 2 decimals" in reason


def test_a_comma_is_not_a_decimal_separator() -> None:
    assert rejected(record(PAYMENT, amount="15,08"))[0] == "amount"


def test_wrong_taxable() -> None:
    field, reason = rejected(record(BILL, taxable="13.70", total="15.07"))
    assert field == "taxable" and "13.71" in reason


def test_wrong_vat() -> None:
    assert rejected(record(BILL, vat="1.38", total="15.09"))[0] == "vat"


def test_wrong_total() -> None:
    field, reason = rejected(record(BILL, total="15.09"))
    assert field == "total" and "15.08" in reason


def test_bad_dni_letter() -> None:
    field, reason = rejected(record(CUSTOMER, identity=PERSON[:-1] + ("A" if PERSON[-1] != "A" else "B")))
    assert field == "identity" and "letter" in reason


def test_bad_cif_check() -> None:
    wrong = COMPANY[:-1] + str((int(COMPANY[-1]) + 1) % 10)
    assert rejected(record(CUSTOMER, identity=wrong, kind="company"))[0] == "identity"


def test_a_cif_is_a_company() -> None:
    assert rejected(record(CUSTOMER, identity=COMPANY))[0] == "kind"


def test_identity_with_spaces_and_hyphens_is_normalised() -> None:
    spaced = f"{PERSON[:2]} {PERSON[2:5]}-{PERSON[5:]}"
    assert check(record(CUSTOMER, identity=spaced.lower())).identity_number == PERSON


def test_bad_iban_check() -> None:
    bad = IBAN[:-1] + ("3" if IBAN[-1] != "3" else "4")
    record_ = record(ACCOUNT_RECORD, payment_method="direct_debit", iban=bad)
    field, reason = rejected(record_)
    assert field == "iban" and "IBAN" in reason


def test_bad_iban_country_letter() -> None:
    assert rejected(record(ACCOUNT_RECORD, payment_method="direct_debit", iban="EX" + IBAN[2:]))[0] == "iban"


def test_only_the_masked_iban_is_kept() -> None:
    account = check(record(ACCOUNT_RECORD, payment_method="direct_debit", iban=IBAN))
    assert account.iban_masked == "ES91 **** **** **** **** 1332"


def test_direct_debit_needs_an_iban() -> None:
    assert rejected(record(ACCOUNT_RECORD, payment_method="direct_debit")) == (
        "iban",
        "required when payment_method is direct_debit",
    )


def test_account_number_failing_luhn() -> None:
    wrong = ACCOUNT_RECORD["number"][:-1] + str((int(ACCOUNT_RECORD["number"][-1]) + 1) % 10)
    field, reason = rejected(record(ACCOUNT_RECORD, number=wrong))
    assert field == "number" and "digits is wrong" in reason
    assert rejected(record(BILL, account=wrong))[0] == "account"


def test_bill_number_characters() -> None:
    assert rejected(record(BILL, number="fa 1"))[0] == "number"


def test_period_and_due_date_order() -> None:
    assert rejected(record(BILL, period_end="2026-09-30"))[0] == "period_end"
    assert rejected(record(BILL, due_date="2026-11-02"))[0] == "due_date"


def test_readings_going_back_need_a_consumption() -> None:
    assert rejected(record(BILL, reading_current=1500))[0] == "reading_current"
    assert check(record(BILL, reading_current=3, consumption_m3=12)).consumption_m3 == 12


def test_paid_needs_paid_at() -> None:
    assert rejected(record(BILL, status="paid")) == ("paid_at", "required when status is paid")
    bill = check(record(BILL, status="paid", paid_at="2026-11-10T09:00:00Z"))
    assert bill.paid_at == dt.datetime(2026, 11, 10, 9, tzinfo=dt.UTC)


def test_a_number_with_too_many_digits_needs_a_payment_reference() -> None:
    assert rejected(record(BILL, number="FA-2026/0000000101"))[0] == "payment_reference"
    bill = check(record(BILL, number="FA-2026/0000000101", payment_reference="00000000101"))
    assert bill.code.reference[:11] == "00000000101"


@pytest.mark.parametrize(
    "changes",
    [{}, {"status": "paid", "paid_at": "2026-11-10T09:00:00Z"}, {"status": "direct_debit"}],
    ids=["pending", "paid", "direct_debit"],
)
@pytest.mark.parametrize("sample", [CREDIT_BILL, ZERO_BILL], ids=["negative", "zero"])
def test_a_total_of_zero_or_less_is_a_credit_bill_without_a_payment_code(
    sample: dict[str, Any], changes: dict[str, str]
) -> None:
    bill = check(record(sample, **changes))
    assert bill.total_cents == checks.cents(sample["total"], "total")
    assert (bill.status, bill.code) == ("credit", None)
    stored = dict(zip(checks.BILL_COLUMNS, bill.values, strict=True))
    assert stored["status"] == "credit"
    assert [stored[name] for name in ("payment_suffix", "payment_reference", "payment_identification")] == [
        None,
        None,
        None,
    ]
    assert stored["paid_at"] == bill.paid_at
    assert bill.content()[-1] is None  # what a re-import compares with the stored (NULL) reference


def test_a_credit_bill_must_still_add_up() -> None:
    assert rejected(record(CREDIT_BILL, total="-15.07")) == ("total", "-15.07 is not taxable + vat (-15.08)")
    assert rejected(record(CREDIT_BILL, vat="-1.36"))[0] == "vat"
    assert rejected(record(CREDIT_BILL, status="paid")) == ("paid_at", "required when status is paid")


def test_a_credit_bills_payment_reference_is_checked_but_not_kept() -> None:
    assert rejected(record(CREDIT_BILL, payment_reference="0000000010"))[0] == "payment_reference"
    bill = check(record(CREDIT_BILL, payment_reference="00000000777"))
    assert bill.code is None and "00000000777" not in [str(value)[:11] for value in bill.values]


def test_decimal_quantities_and_prices_are_stored_exactly() -> None:
    lines = [
        {
            "kind": "other",
            "description": "Meter",
            "quantity": "0.5",
            "unit_price": "1.234567",
            "amount": "0.62",
        },
        {"kind": "vat", "description": "VAT", "quantity": "1", "unit_price": "0.06", "amount": "0.06"},
    ]
    bill = check(record(BILL, lines=lines, taxable="0.62", vat="0.06", total="0.68"))
    assert bill.lines[0] == {
        "kind": "other",
        "description": "Meter",
        "quantity": "0.5",
        "unit_price_cents": "123.4567",
        "amount_cents": 62,
    }


def test_payment_time_needs_a_time_zone() -> None:
    assert rejected(record(PAYMENT, paid_at="2026-11-15T10:42:00"))[0] == "paid_at"


def test_free_text_of_only_spaces_is_not_a_value() -> None:
    # Trimmed, it was stored empty: a holder without a name, an account without an address.
    assert rejected(record(CUSTOMER, name="   ")) == ("name", "required: it has only spaces")
    assert rejected(record(ACCOUNT_RECORD, supply_address=" ")) == (
        "supply_address",
        "required: it has only spaces",
    )
    assert rejected(record(ACCOUNT_RECORD, tariff="  ")) == ("tariff", "required: it has only spaces")
    assert check(record(CUSTOMER, name=" Ana ")).name == "Ana"
