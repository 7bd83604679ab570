"""EPC QR codes (EPC069-12): the payload lines, input checks, and that segno encodes exactly that payload."""

import xml.etree.ElementTree as ET

import pytest
import segno
from hypothesis import given
from hypothesis import strategies as st

from portal.banking.epc import MAX_AMOUNT_CENTS, EpcError, epc_payload, epc_qr_svg

NAME = "Aguas de Castilla, S.A."
IBAN = "ES91 2100 0418 4502 0005 1332"
BIC = "CAIXESBBXXX"


def _segno_svg(payload, title):
    """The SVG of a QR code holding exactly ``payload`` in UTF-8, at level M as EPC069-12 requires."""
    qr = segno.make_qr(payload.encode("utf-8"), error="m", boost_error=False)
    assert qr.version <= 13
    return qr.svg_inline(scale=0.5, unit="mm", title=title).replace("<svg ", '<svg role="img" ', 1)


def test_payload_with_a_text():
    payload = epc_payload(NAME, IBAN, BIC, 123456, text="Bills due document 0000000001568")
    assert payload.split("\n") == [
        "BCD",
        "002",
        "1",
        "SCT",
        "CAIXESBBXXX",
        "Aguas de Castilla, S.A.",
        "ES9121000418450200051332",
        "EUR1234.56",
        "",
        "",
        "Bills due document 0000000001568",
    ]


def test_payload_with_a_structured_reference_and_no_bic():
    payload = epc_payload(f"  {NAME} ", IBAN, None, 5398, reference="RF18539007547034")
    assert payload.split("\n") == [
        "BCD",
        "002",
        "1",
        "SCT",
        "",
        "Aguas de Castilla, S.A.",
        "ES9121000418450200051332",
        "EUR53.98",
        "",
        "RF18539007547034",
    ]


@pytest.mark.parametrize(
    ("cents", "amount"),
    [(1, "EUR0.01"), (10, "EUR0.1"), (100, "EUR1"), (1230, "EUR12.3"), (MAX_AMOUNT_CENTS, "EUR999999999.99")],
)
def test_payload_amount_drops_trailing_zeros(cents, amount):
    assert epc_payload(NAME, IBAN, None, cents, text="x").split("\n")[7] == amount


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"text": None}, "Give either a remittance text or a structured reference"),
        ({"text": "   "}, "Give either a remittance text or a structured reference"),
        ({"reference": "RF18539007547034"}, "Give either a remittance text or a structured reference"),
        ({"text": "x" * 141}, "A remittance text is at most 140 characters"),
        ({"text": None, "reference": "R" * 36}, "A structured reference is at most 35 characters"),
        ({"name": ""}, "The beneficiary name must be 1 to 70 characters"),
        ({"name": "N" * 71}, "The beneficiary name must be 1 to 70 characters"),
        ({"iban": "ES91 2100 0418 4502 0005 1333"}, "is not a valid IBAN"),
        ({"iban": "not an iban"}, "is not a valid IBAN"),
        ({"bic": "CAIXESB"}, "is not a valid BIC"),
        ({"amount_cents": 0}, "The amount must be 0.01 to 999999999.99 euros"),
        ({"amount_cents": MAX_AMOUNT_CENTS + 1}, "The amount must be 0.01 to 999999999.99 euros"),
        ({"name": "Ω" * 70, "text": "€" * 140}, "an EPC QR code holds 331 bytes"),
    ],
)
def test_invalid_data_is_refused(arguments, message):
    data = {"name": NAME, "iban": IBAN, "bic": BIC, "amount_cents": 5398, "text": "Bills due", **arguments}
    with pytest.raises(EpcError) as error:
        epc_payload(**data)
    assert message in error.value.message
    with pytest.raises(EpcError):
        epc_qr_svg(**data, title="Pay by transfer")


@pytest.mark.parametrize(
    "data",
    [
        {"bic": BIC, "amount_cents": 123456, "text": "Bills due document 0000000001568"},
        {"bic": None, "amount_cents": 1230, "reference": "RF18539007547034"},
        {"name": "Ñandú Agua, S.L. – Ω", "bic": None, "amount_cents": 100, "text": "Recibos – €"},
        # The longest fields: still within QR version 13, as EPC requires.
        {"name": "N" * 70, "bic": BIC, "amount_cents": MAX_AMOUNT_CENTS, "text": "T" * 140},
    ],
)
def test_qr_code_encodes_exactly_the_payload(data):
    data = {"name": NAME, "iban": IBAN, **data}
    assert epc_qr_svg(**data, title="Pay by transfer") == _segno_svg(epc_payload(**data), "Pay by transfer")


def test_qr_svg_is_an_accessible_image_sized_in_millimetres():
    root = ET.fromstring(epc_qr_svg(NAME, IBAN, BIC, 5398, text="Bills due", module_mm=0.6, title="Pay <&>"))
    assert root.get("role") == "img"
    assert root.find("title").text == "Pay <&>"
    assert root.get("width").endswith("mm")
    assert root.get("width") == root.get("height")
    assert len(root.findall("path")) == 1


@given(st.integers(min_value=1, max_value=MAX_AMOUNT_CENTS))
def test_payload_amount_is_the_one_segno_encodes(cents):
    payload = epc_payload(NAME, IBAN, None, cents, text="Bills due")
    assert epc_qr_svg(NAME, IBAN, None, cents, text="Bills due", title="Pay") == _segno_svg(payload, "Pay")
