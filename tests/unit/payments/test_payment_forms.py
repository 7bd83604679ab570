"""Reading the CPR code form, the barcode and the receipt address: formats and "is it ours?", no look-up."""

from __future__ import annotations

import dataclasses

from portal.payments.forms import CHECK_BARCODE, CodeForm, check_barcode, check_code_form, check_email
from portal.settings import Settings

ISSUER = dataclasses.replace(
    Settings.from_env().issuer,
    name="Aguas de Ejemplo, S.A.",
    code="58818501",
    bill_suffix="001",
    document_suffix="501",
)
GOOD = CodeForm("9050794", "58818501-001", "0000000002512", "000017", "14,69")
BARCODE = "9050758818501001000000000251200001700000014690"


def test_a_good_form_with_separators_anywhere() -> None:
    code, errors = check_code_form(
        CodeForm("905 0794", "58818501 ‐ 001", "0000-0000-0251-2", "000\u00a0017", "€ 14.69"), ISSUER
    )
    assert errors == {}
    assert code is not None
    assert (code.issuer, code.suffix, code.reference, code.identification, code.amount_cents) == (
        "58818501",
        "001",
        "0000000002512",
        "000017",
        1469,
    )
    assert code.field_of("amount") == "amount"


def test_every_field_is_checked_at_once_in_page_order() -> None:
    code, errors = check_code_form(CodeForm(), ISSUER)
    assert code is None
    assert list(errors) == ["cpr", "issuer", "reference", "identification", "amount"]
    assert errors["cpr"] == "Enter the CPR code"
    assert errors["amount"] == "Enter the amount"


def test_unknown_cpr_issuer_and_suffix() -> None:
    _, errors = check_code_form(
        CodeForm("1234567", "12345678-001", "0000000002512", "000017", "14,69"), ISSUER
    )
    assert errors["cpr"].startswith("We do not collect bills with this CPR code")
    assert errors["issuer"] == "This issuer is not Aguas de Ejemplo, S.A.: check the issuer on your bill"
    _, errors = check_code_form(
        CodeForm(*("9050794", "58818501-777", "0000000002512", "000017", "1")), ISSUER
    )
    assert errors == {
        "issuer": "We do not issue bills with the suffix 777 (the 3 digits after the hyphen): "
        "check the issuer on your bill"
    }


def test_lengths_and_digits() -> None:
    _, errors = check_code_form(CodeForm("905079", "5881850-001", "00000000025", "0017", "14,699"), ISSUER)
    assert set(errors) == {"cpr", "issuer", "reference", "identification", "amount"}
    _, errors = check_code_form(CodeForm("9050794", "58818501-001", "000000000251٢", "000017", "1"), ISSUER)
    assert errors == {"reference": "Enter the reference with the digits 0 to 9, such as 0000000002512"}


def test_the_barcode_maps_every_part_to_its_one_field() -> None:
    code, errors = check_barcode(" ".join(BARCODE[i : i + 5] for i in range(0, 46, 5)), ISSUER)
    assert errors == {}
    assert code is not None and code.amount_cents == 1469 and code.reference == "0000000002512"
    assert code.field_of("reference") == code.field_of("amount") == "barcode"


def test_barcode_problems() -> None:
    assert check_barcode("", ISSUER)[1] == {"barcode": "Enter the number under the barcode"}
    assert check_barcode(BARCODE[:-3] + "700", ISSUER)[1] == {"barcode": CHECK_BARCODE}  # amount changed
    other_issuer = check_barcode("9050722350466501000000000156830081500000053980", ISSUER)[1]
    assert other_issuer == {
        "barcode": "This issuer is not Aguas de Ejemplo, S.A.: check the number under the barcode"
    }


def test_the_receipt_address() -> None:
    assert check_email("", required=False) is None
    assert check_email("", required=True) == "Enter the email address for your receipt"
    assert check_email("not an address", required=False) is not None
    assert check_email("ana@example.com", required=True) is None
