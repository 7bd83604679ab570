"""Unit tests for the Redsys protocol module, anchored on the public vectors in specs/redsys.md."""

import base64
import dataclasses
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.payments.redsys import (
    SIGNATURE_VERSION,
    Notification,
    PaymentRequest,
    RedsysError,
    RedsysSignatureError,
    build_notification,
    decode_parameters,
    encode_parameters,
    new_order_id,
    order_key,
    parse_request,
    same_terminal,
    sign,
    validate_order,
    verify_notification,
)

# --- public test vectors (specs/redsys.md) ---
SECRET = "sq7HjrUOBfKmC576ILgskD5srU870gJ7"
ORDER = "0726qI3H7sZx"
ORDER_KEY_B64 = "GViV77kFjMPKVUcE9qxzlg=="
REQUEST_PARAMS = (
    "eyJEU19NRVJDSEFOVF9UUkFOU0FDVElPTlRZUEUiOiIwIiwiRFNfTUVSQ0hBTlRfT1JERVIiOiIwNzI2cUkzSDdzWngiLCJEU19NRVJD"
    "SEFOVF9NRVJDSEFOVENPREUiOiI5OTkwMDg4ODEiLCJEU19NRVJDSEFOVF9URVJNSU5BTCI6IjEiLCJEU19NRVJDSEFOVF9BTU9VTlQi"
    "OiI0OTk5IiwiRFNfTUVSQ0hBTlRfQ1VSUkVOQ1kiOiI5NzgiLCJEU19NRVJDSEFOVF9NRVJDSEFOVFVSTCI6Imh0dHA6Ly93d3cucHJ1"
    "ZWJhLmNvbS91cmxOb3RpZmljYWNpb24ucGhwIiwiRFNfTUVSQ0hBTlRfVVJMT0siOiJodHRwOi8vd3d3LnBydWViYS5jb20vdXJsT0su"
    "cGhwIiwiRFNfTUVSQ0hBTlRfVVJMS08iOiJodHRwOi8vd3d3LnBydWViYS5jb20vdXJsS08ucGhwIn0="
)
REQUEST_SIGNATURE = "TyW+LIa2GZnhCPLM7JSPwbQn4ZjOvMO/KiIf4yJgwo8="
NOTIFICATION_PARAMS = (
    "eyJEc19EYXRlIjoiMjIlMkYxMCUyRjIwMjEiLCJEc19Ib3VyIjoiMjIlM0E1MSIsIkRzX1NlY3VyZVBheW1lbnQiOiIxIiwiRHNfQ2Fy"
    "ZF9OdW1iZXIiOiI0NTQ4ODEqKioqKiowMDA0IiwiRHNfQ2FyZF9Db3VudHJ5IjoiNzI0IiwiRHNfQW1vdW50IjoiNDk5OSIsIkRzX0N1"
    "cnJlbmN5IjoiOTc4IiwiRHNfT3JkZXIiOiIwNzI2cUkzSDdzWngiLCJEc19NZXJjaGFudENvZGUiOiI5OTkwMDg4ODEiLCJEc19UZXJt"
    "aW5hbCI6IjAwMSIsIkRzX1Jlc3BvbnNlIjoiMDAwMCIsIkRzX01lcmNoYW50RGF0YSI6IiIsIkRzX1RyYW5zYWN0aW9uVHlwZSI6IjAi"
    "LCJEc19Db25zdW1lckxhbmd1YWdlIjoiMSIsIkRzX0F1dGhvcmlzYXRpb25Db2RlIjoiMDUyMDI5IiwiRHNfQ2FyZF9CcmFuZCI6IjEi"
    "LCJEc19Qcm9jZXNzZWRQYXlNZXRob2QiOiIxIn0="
)
NOTIFICATION_SIGNATURE = "52nPyUkyDws__OfMqDka_yN-arxzulELZC1TYTvvR0s="

OTHER_SECRET = base64.b64encode(bytes(range(24))).decode()

ORDERS = st.from_regex(r"[0-9]{4}[0-9A-Za-z]{0,8}", fullmatch=True)


def _request(**overrides: object) -> PaymentRequest:
    fields: dict[str, object] = {
        "amount_cents": 4999,
        "order": ORDER,
        "merchant_code": "999008881",
        "terminal": "1",
        "merchant_url": "https://portal.example/payments/notify",
        "url_ok": "https://portal.example/payments/ok",
        "url_ko": "https://portal.example/payments/ko",
    }
    fields.update(overrides)
    return PaymentRequest(**fields)  # type: ignore[arg-type]


def _notification_params(order: str = ORDER, amount: int = 4999, response: str = "0000") -> dict[str, str]:
    return {
        "Ds_Date": "22%2F10%2F2021",
        "Ds_Hour": "22%3A51",
        "Ds_SecurePayment": "1",
        "Ds_Card_Number": "454881******0004",
        "Ds_Amount": str(amount),
        "Ds_Currency": "978",
        "Ds_Order": order,
        "Ds_MerchantCode": "999008881",
        "Ds_Terminal": "001",
        "Ds_Response": response,
        "Ds_MerchantData": "invoice-42",
        "Ds_TransactionType": "0",
        "Ds_AuthorisationCode": "052029" if int(response) <= 99 else "",
    }


def _verify(form: dict[str, str], secret: str = SECRET) -> Notification:
    return verify_notification(
        secret, form["Ds_SignatureVersion"], form["Ds_MerchantParameters"], form["Ds_Signature"]
    )


def _b64url_unpadded(value: str) -> str:
    return value.replace("+", "-").replace("/", "_").rstrip("=")


# --- spec vectors ---


def test_order_key_vector() -> None:
    assert base64.b64encode(order_key(SECRET, ORDER)).decode() == ORDER_KEY_B64


def test_request_signature_vector() -> None:
    assert sign(SECRET, ORDER, REQUEST_PARAMS) == REQUEST_SIGNATURE


def test_notification_signature_vector_is_base64url() -> None:
    assert sign(SECRET, ORDER, NOTIFICATION_PARAMS, urlsafe=True) == NOTIFICATION_SIGNATURE


def test_request_vector_parses_as_gateway() -> None:
    form = {
        "Ds_SignatureVersion": SIGNATURE_VERSION,
        "Ds_MerchantParameters": REQUEST_PARAMS,
        "Ds_Signature": REQUEST_SIGNATURE,
    }
    params = parse_request(SECRET, form)
    assert params["DS_MERCHANT_ORDER"] == ORDER
    assert params["DS_MERCHANT_AMOUNT"] == "4999"
    assert params["DS_MERCHANT_MERCHANTCODE"] == "999008881"
    assert params["DS_MERCHANT_URLOK"] == "http://www.prueba.com/urlOK.php"


def test_notification_vector_verifies_and_decodes() -> None:
    note = verify_notification(SECRET, SIGNATURE_VERSION, NOTIFICATION_PARAMS, NOTIFICATION_SIGNATURE)
    assert note.order == ORDER
    assert note.amount_cents == 4999
    assert note.currency == "978"
    assert (note.merchant_code, note.terminal) == ("999008881", "001")
    assert note.response_code == 0
    assert note.raw["Ds_Response"] == "0000"
    assert note.authorised is True
    assert note.authorisation_code == "052029"
    assert note.card_number_masked == "454881******0004"
    assert note.merchant_data == ""
    assert note.secure_payment == "1"
    assert note.date == "22%2F10%2F2021"
    assert note.hour == "22%3A51"
    assert note.raw["Ds_Card_Country"] == "724"


@pytest.mark.parametrize(
    ("sent", "ours", "same"),
    [
        ("001", "1", True),
        ("1", "1", True),
        ("1", "001", True),
        ("002", "1", False),
        (None, "1", False),
        ("", "1", False),
        ("١", "1", False),
        ("x1", "1", False),
    ],
)
def test_same_terminal_however_padded(sent: str | None, ours: str, same: bool) -> None:
    assert same_terminal(sent, ours) is same


@pytest.mark.parametrize(
    "signature",
    [
        NOTIFICATION_SIGNATURE,
        NOTIFICATION_SIGNATURE.rstrip("="),
        base64.b64encode(base64.urlsafe_b64decode(NOTIFICATION_SIGNATURE)).decode(),
    ],
    ids=["base64url", "base64url-unpadded", "standard"],
)
def test_notification_signature_accepted_in_either_alphabet(signature: str) -> None:
    assert verify_notification(SECRET, SIGNATURE_VERSION, NOTIFICATION_PARAMS, signature).authorised


def test_notification_parameters_accepted_in_base64url_without_padding() -> None:
    params = _b64url_unpadded(NOTIFICATION_PARAMS)
    signature = sign(SECRET, ORDER, params, urlsafe=True)
    assert verify_notification(SECRET, SIGNATURE_VERSION, params, signature).amount_cents == 4999


# --- parameter encoding ---


def test_encode_parameters_is_compact_json_in_standard_base64() -> None:
    encoded = encode_parameters({"DS_MERCHANT_ORDER": ORDER, "DS_MERCHANT_PRODUCTDESCRIPTION": "Fáctura ~?>"})
    assert base64.b64decode(encoded, validate=True) == (
        b'{"DS_MERCHANT_ORDER":"0726qI3H7sZx","DS_MERCHANT_PRODUCTDESCRIPTION":"F\\u00e1ctura ~?>"}'
    )
    assert decode_parameters(encoded)["DS_MERCHANT_PRODUCTDESCRIPTION"] == "Fáctura ~?>"


def test_decode_parameters_accepts_both_alphabets_and_missing_padding() -> None:
    params = {"Ds_Order": ORDER, "Ds_MerchantData": "??>>~~"}  # characters whose Base64 uses + and /
    encoded = encode_parameters(params)
    assert "+" in encoded or "/" in encoded
    assert decode_parameters(encoded) == params
    assert decode_parameters(_b64url_unpadded(encoded)) == params


def test_decode_parameters_turns_integers_into_strings() -> None:
    encoded = base64.b64encode(json.dumps({"Ds_Amount": 4999}).encode()).decode()
    assert decode_parameters(encoded) == {"Ds_Amount": "4999"}


@pytest.mark.parametrize(
    "garbage",
    [
        "not base64 at all!",
        "QQ=A",
        "A",
        "ñandú",
        base64.b64encode(b"\xff\xfe not utf-8").decode(),
        base64.b64encode(b"not json").decode(),
        base64.b64encode(b'["a", "list"]').decode(),
        base64.b64encode(b'{"nested": {"a": 1}}').decode(),
        base64.b64encode(b'{"flag": true}').decode(),
        base64.b64encode(b'{"a": "1", "a": "2"}').decode(),
    ],
)
def test_decode_parameters_rejects_garbage(garbage: str) -> None:
    with pytest.raises(RedsysError):
        decode_parameters(garbage)


# --- merchant request → gateway ---


def test_request_round_trips_through_parse_request() -> None:
    request = _request(description="Factura 2024/001", merchant_data="invoice-42", language="002")
    form = request.to_form(SECRET)
    assert set(form) == {"Ds_SignatureVersion", "Ds_MerchantParameters", "Ds_Signature"}
    assert form["Ds_SignatureVersion"] == SIGNATURE_VERSION
    params = parse_request(SECRET, form)
    assert params == {
        "DS_MERCHANT_AMOUNT": "4999",
        "DS_MERCHANT_ORDER": ORDER,
        "DS_MERCHANT_MERCHANTCODE": "999008881",
        "DS_MERCHANT_TERMINAL": "1",
        "DS_MERCHANT_CURRENCY": "978",
        "DS_MERCHANT_TRANSACTIONTYPE": "0",
        "DS_MERCHANT_MERCHANTURL": "https://portal.example/payments/notify",
        "DS_MERCHANT_URLOK": "https://portal.example/payments/ok",
        "DS_MERCHANT_URLKO": "https://portal.example/payments/ko",
        "DS_MERCHANT_PRODUCTDESCRIPTION": "Factura 2024/001",
        "DS_MERCHANT_MERCHANTDATA": "invoice-42",
        "DS_MERCHANT_CONSUMERLANGUAGE": "002",
    }


def test_request_signature_is_standard_base64() -> None:
    form = _request().to_form(SECRET)
    signature = form["Ds_Signature"]
    assert base64.b64encode(base64.b64decode(signature, validate=True)).decode() == signature
    assert signature == sign(SECRET, ORDER, form["Ds_MerchantParameters"])


def test_request_omits_unset_optional_fields() -> None:
    params = parse_request(SECRET, _request().to_form(SECRET))
    assert "DS_MERCHANT_PRODUCTDESCRIPTION" not in params
    assert "DS_MERCHANT_MERCHANTDATA" not in params
    assert "DS_MERCHANT_CONSUMERLANGUAGE" not in params


def test_payment_request_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        _request().amount_cents = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    "overrides", [{"amount_cents": 0}, {"amount_cents": -5}, {"amount_cents": True}, {"order": "ABCD1234"}]
)
def test_payment_request_rejects_bad_values(overrides: dict[str, object]) -> None:
    with pytest.raises(RedsysError):
        _request(**overrides)


def test_parse_request_rejects_tampered_parameters() -> None:
    form = _request().to_form(SECRET)
    params = decode_parameters(form["Ds_MerchantParameters"])
    params["DS_MERCHANT_AMOUNT"] = "1"
    form["Ds_MerchantParameters"] = encode_parameters(params)
    with pytest.raises(RedsysSignatureError):
        parse_request(SECRET, form)


def test_parse_request_rejects_wrong_secret_version_and_missing_fields() -> None:
    form = _request().to_form(SECRET)
    with pytest.raises(RedsysSignatureError):
        parse_request(OTHER_SECRET, form)
    with pytest.raises(RedsysSignatureError):
        parse_request(SECRET, {**form, "Ds_SignatureVersion": "HMAC_SHA512_V2"})
    with pytest.raises(RedsysError):
        parse_request(SECRET, {k: v for k, v in form.items() if k != "Ds_Signature"})


def test_parse_request_rejects_signed_but_invalid_order() -> None:
    params = {**_request().parameters(), "DS_MERCHANT_ORDER": "AB12"}
    encoded = encode_parameters(params)
    form = {
        "Ds_SignatureVersion": SIGNATURE_VERSION,
        "Ds_MerchantParameters": encoded,
        "Ds_Signature": sign(SECRET, "AB12", encoded),
    }
    with pytest.raises(RedsysError):
        parse_request(SECRET, form)


# --- gateway notification → merchant ---


def test_notification_round_trips_and_is_base64url() -> None:
    form = build_notification(SECRET, _notification_params())
    assert form["Ds_SignatureVersion"] == SIGNATURE_VERSION
    assert "+" not in form["Ds_Signature"] and "/" not in form["Ds_Signature"]
    note = _verify(form)
    assert (note.order, note.amount_cents, note.response_code, note.authorised) == (ORDER, 4999, 0, True)
    assert note.merchant_data == "invoice-42"
    assert note.raw == _notification_params()


def test_denial_code_is_not_authorised() -> None:
    note = _verify(build_notification(SECRET, _notification_params(response="0190")))
    assert note.response_code == 190
    assert note.authorised is False


@pytest.mark.parametrize(
    ("code", "authorised"), [("0000", True), ("0099", True), ("0100", False), ("9915", False)]
)
def test_authorised_boundary(code: str, authorised: bool) -> None:
    assert _verify(build_notification(SECRET, _notification_params(response=code))).authorised is authorised


def test_notification_keys_are_case_insensitive() -> None:
    params = {key.upper(): value for key, value in _notification_params().items()}
    note = _verify(build_notification(SECRET, params))
    assert (note.order, note.amount_cents, note.card_number_masked) == (ORDER, 4999, "454881******0004")


def test_notification_rejects_tampered_parameters() -> None:
    form = build_notification(SECRET, _notification_params())
    forged = encode_parameters(_notification_params(response="0000", amount=1))
    with pytest.raises(RedsysSignatureError):
        verify_notification(SECRET, SIGNATURE_VERSION, forged, form["Ds_Signature"])


def test_notification_rejects_wrong_secret() -> None:
    with pytest.raises(RedsysSignatureError):
        _verify(build_notification(SECRET, _notification_params()), secret=OTHER_SECRET)


def test_notification_rejects_wrong_version() -> None:
    with pytest.raises(RedsysSignatureError):
        verify_notification(SECRET, "HMAC_SHA256_V2", NOTIFICATION_PARAMS, NOTIFICATION_SIGNATURE)


@pytest.mark.parametrize("signature", ["", "!!!!", "A", NOTIFICATION_SIGNATURE[:-4]])
def test_notification_rejects_bad_signature(signature: str) -> None:
    with pytest.raises(RedsysSignatureError):
        verify_notification(SECRET, SIGNATURE_VERSION, NOTIFICATION_PARAMS, signature)


def test_notification_rejects_garbage_parameters() -> None:
    with pytest.raises(RedsysError):
        verify_notification(SECRET, SIGNATURE_VERSION, "%%% not base64 %%%", NOTIFICATION_SIGNATURE)


def test_notification_rejects_duplicate_keys_differing_in_case() -> None:
    params = {**_notification_params(), "DS_ORDER": "9999ZZZZ"}
    with pytest.raises(RedsysError):
        build_notification(SECRET, params)
    encoded = encode_parameters(params)
    with pytest.raises(RedsysError):
        verify_notification(SECRET, SIGNATURE_VERSION, encoded, sign(SECRET, ORDER, encoded, urlsafe=True))


def test_signed_notification_with_bad_amount_is_rejected() -> None:
    params = {**_notification_params(), "Ds_Amount": "49.99"}
    with pytest.raises(RedsysError):
        _verify(build_notification(SECRET, params))


def test_notification_is_hashable_and_frozen() -> None:
    note = _verify(build_notification(SECRET, _notification_params()))
    assert hash(note) == hash(_verify(build_notification(SECRET, _notification_params())))
    with pytest.raises(dataclasses.FrozenInstanceError):
        note.authorised = False  # type: ignore[misc]


# --- secrets ---


@pytest.mark.parametrize("secret", ["not base64!", base64.b64encode(bytes(16)).decode(), ""])
def test_bad_secret_is_rejected(secret: str) -> None:
    with pytest.raises(RedsysError):
        order_key(secret, ORDER)


def test_empty_order_is_rejected_for_keying() -> None:
    with pytest.raises(RedsysError):
        order_key(SECRET, "")


# --- order ids ---


@pytest.mark.parametrize("order", ["1234", "0726qI3H7sZx", "123456789012", "0000abcd"])
def test_validate_order_accepts(order: str) -> None:
    assert validate_order(order) == order


@pytest.mark.parametrize(
    "order", ["123", "1234567890123", "123A4567", "A1234", "1234-567", "1234 567", "１２３４abc", "1234ñ", ""]
)
def test_validate_order_rejects(order: str) -> None:
    with pytest.raises(RedsysError):
        validate_order(order)


def test_new_order_ids_are_valid_twelve_characters_and_never_the_same() -> None:
    orders = [new_order_id() for _ in range(2000)]
    assert all(len(order) == 12 and validate_order(order) == order for order in orders)
    assert all(order[4:].isupper() or order[4:].isdigit() for order in orders)  # as the bank prints them
    assert len(set(orders)) == len(orders)


# --- properties ---


@given(
    amount=st.integers(min_value=1, max_value=10**12),
    order=ORDERS,
    description=st.none() | st.text(max_size=40),
)
def test_any_request_round_trips(amount: int, order: str, description: str | None) -> None:
    form = _request(amount_cents=amount, order=order, description=description).to_form(SECRET)
    params = parse_request(SECRET, form)
    assert params["DS_MERCHANT_AMOUNT"] == str(amount)
    assert params["DS_MERCHANT_ORDER"] == order
    assert params.get("DS_MERCHANT_PRODUCTDESCRIPTION") == description


@given(
    amount=st.integers(min_value=0, max_value=10**12),
    order=ORDERS,
    response=st.integers(min_value=0, max_value=9999),
)
def test_any_notification_round_trips(amount: int, order: str, response: int) -> None:
    note = _verify(build_notification(SECRET, _notification_params(order, amount, f"{response:04d}")))
    assert (note.order, note.amount_cents, note.response_code) == (order, amount, response)
    assert note.authorised is (response <= 99)
