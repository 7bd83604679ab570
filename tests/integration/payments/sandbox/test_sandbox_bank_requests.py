"""The sandbox bank's realizarPago address: only a request signed with the merchant key opens a payment;
anything else is an error page (400) and nothing else happens."""

from __future__ import annotations

import base64
import json

import pytest

from portal.payments.redsys import encode_parameters, sign
from portal.payments.sandbox.operations import OperationStore, PaymentOrder, read_request
from tests.integration.payments.sandbox.sandbox_merchant import SECRET, Merchant, new_order
from tests.integration.payments.sandbox.sandbox_support import (  # noqa: F401 (fixtures)
    BankClient,
    form_of,
    merchant_fixture,
    sandbox_fixture,
)


def _resigned(params: dict[str, str]) -> dict[str, str]:
    """A request correctly signed with the merchant key, whatever it asks for."""
    encoded = encode_parameters(params)
    return {
        "Ds_SignatureVersion": "HMAC_SHA256_V1",
        "Ds_MerchantParameters": encoded,
        "Ds_Signature": sign(SECRET, params["DS_MERCHANT_ORDER"], encoded),
    }


async def test_a_signed_request_opens_a_payment_at_an_unguessable_address(
    sandbox: BankClient, merchant: Merchant
) -> None:
    request = merchant.request(description="Bill FA00000000025")
    started = await sandbox.start(request)
    assert started.status_code == 303
    path = started.headers["location"]
    operation_id = path.removeprefix("/sis/pay/")
    assert len(operation_id) >= 32 and request.order not in operation_id
    page = await sandbox.http.get(path)
    assert page.status_code == 200
    assert "<h1>Pay by card</h1>" in page.text
    for shown in ("Aguas de Ejemplo, S.A.", request.order, "Bill FA00000000025", "14,69\u00a0€"):
        assert shown in page.text
    assert "Sandbox bank — no real money" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text and "style=" not in page.text


async def test_the_same_form_posted_twice_finds_the_same_payment(
    sandbox: BankClient, merchant: Merchant
) -> None:
    request = merchant.request()
    first = await sandbox.start(request)
    second = await sandbox.start(request)
    assert first.headers["location"] == second.headers["location"]
    assert len(sandbox.bank.store) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"Ds_Signature": "TyW+LIa2GZnhCPLM7JSPwbQn4ZjOvMO/KiIf4yJgwo8="}, "not correctly signed"),
        ({"Ds_SignatureVersion": "HMAC_SHA512_V2"}, "not correctly signed"),
        ({"Ds_MerchantParameters": "bm90IGpzb24="}, "incomplete or malformed"),
        ({"Ds_Signature": ""}, "not correctly signed"),
    ],
)
async def test_a_badly_signed_request_is_refused_and_nothing_happens(
    sandbox: BankClient, merchant: Merchant, change: dict[str, str], message: str
) -> None:
    response = await sandbox.start(merchant.request(), form_of(merchant.request(), **change))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "<h1>The payment cannot start</h1>" in response.text
    assert message in response.text
    assert len(sandbox.bank.store) == 0
    assert merchant.notifications == []


async def test_parameters_signed_for_another_request_are_refused(
    sandbox: BankClient, merchant: Merchant
) -> None:
    mine, other = merchant.request(), merchant.request(amount_cents=1)
    form = {**mine.to_form(SECRET), "Ds_MerchantParameters": other.to_form(SECRET)["Ds_MerchantParameters"]}
    response = await sandbox.start(mine, form)
    assert response.status_code == 400
    assert "Error code SIS0042" in response.text


async def test_a_request_missing_a_field_is_refused(sandbox: BankClient, merchant: Merchant) -> None:
    form = form_of(merchant.request())
    del form["Ds_Signature"]
    response = await sandbox.start(merchant.request(), form)
    assert response.status_code == 400
    assert len(sandbox.bank.store) == 0


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DS_MERCHANT_MERCHANTCODE", "999999999", "does not know this merchant"),
        ("DS_MERCHANT_TERMINAL", "2", "does not know this merchant"),
        ("DS_MERCHANT_AMOUNT", "0", "no valid amount"),
        ("DS_MERCHANT_AMOUNT", "12.50", "no valid amount"),
        ("DS_MERCHANT_CURRENCY", "840", "euros"),
        ("DS_MERCHANT_TRANSACTIONTYPE", "3", "transaction type 0"),
        ("DS_MERCHANT_URLOK", "javascript:alert(1)", "no valid DS_MERCHANT_URLOK"),
        ("DS_MERCHANT_URLKO", "/relative", "no valid DS_MERCHANT_URLKO"),
        ("DS_MERCHANT_URLKO", "http://[::1/ko", "no valid DS_MERCHANT_URLKO"),
        ("DS_MERCHANT_MERCHANTURL", "ftp://127.0.0.1/notify", "no valid DS_MERCHANT_MERCHANTURL"),
        ("DS_MERCHANT_ORDER", "AB12", "incomplete or malformed"),
    ],
)
async def test_a_signed_request_for_something_the_bank_does_not_do_is_refused(
    sandbox: BankClient, merchant: Merchant, name: str, value: str, message: str
) -> None:
    params = {**merchant.request().parameters(), name: value}
    response = await sandbox.start(merchant.request(), _resigned(params))
    assert response.status_code == 400
    assert message in response.text
    assert len(sandbox.bank.store) == 0


async def test_an_order_already_paid_is_refused(sandbox: BankClient, merchant: Merchant) -> None:
    request = merchant.request()
    path = await sandbox.open(request)
    assert (await sandbox.pay(path)).status_code == 303
    again = await sandbox.start(request)
    assert again.status_code == 400
    assert "Error code SIS0051" in again.text
    # After a denial the merchant may try the same order again (a new payment page).
    declined = merchant.request()
    first = await sandbox.open(declined)
    await sandbox.pay(first, card_number="5576 4400 2278 8500")
    retry = await sandbox.start(declined)
    assert retry.status_code == 303 and retry.headers["location"] != first


async def test_the_same_order_with_other_details_replaces_the_open_payment(
    sandbox: BankClient, merchant: Merchant
) -> None:
    order = new_order()
    first = await sandbox.open(merchant.request(order=order))
    second = await sandbox.start(merchant.request(order=order, amount_cents=999))
    assert second.status_code == 303 and second.headers["location"] != first
    assert (await sandbox.http.get(first)).status_code == 404
    assert "9,99" in (await sandbox.http.get(second.headers["location"])).text
    assert len(sandbox.bank.store) == 1


async def test_only_a_form_post_starts_a_payment(sandbox: BankClient, merchant: Merchant) -> None:
    opened = await sandbox.http.get("/sis/realizarPago")
    assert opened.status_code == 405
    assert "You may have opened the address of a form directly" in opened.text
    as_json = await sandbox.http.post("/sis/realizarPago", json=merchant.request().to_form(SECRET))
    assert as_json.status_code == 400
    assert "Sandbox bank" in as_json.text


async def test_unknown_payments_are_not_found(sandbox: BankClient) -> None:
    for path in ("/sis/pay/nope", "/sis/pay/nope/challenge", "/sis/pay/nope/result"):
        response = await sandbox.http.get(path)
        assert response.status_code == 404
        assert "Payment not found" in response.text


async def test_security_headers_and_its_own_cookie(sandbox: BankClient, merchant: Merchant) -> None:
    path = await sandbox.open(merchant.request())
    page = await sandbox.http.get(path)
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "form-action 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert page.headers["referrer-policy"] == "no-referrer"
    # Cookies ignore ports: the bank's CSRF cookie must not collide with the portal's on 127.0.0.1.
    assert sandbox.http.cookies["sandbox_bank_csrf"]
    assert "csrf" not in sandbox.http.cookies


async def test_the_merchant_parameters_are_not_trusted_beyond_the_signature(
    sandbox: BankClient, merchant: Merchant
) -> None:
    # Two spellings of one field would make "which one counts?" ambiguous: refused even when signed.
    params = merchant.request().parameters()
    text = json.dumps(params)[:-1] + ', "Ds_Merchant_Amount": "1"}'
    encoded = base64.b64encode(text.encode()).decode()
    form = {
        "Ds_SignatureVersion": "HMAC_SHA256_V1",
        "Ds_MerchantParameters": encoded,
        "Ds_Signature": sign(SECRET, params["DS_MERCHANT_ORDER"], encoded),
    }
    response = await sandbox.start(merchant.request(), form)
    assert response.status_code == 400


def test_operations_expire_and_the_store_stays_bounded(merchant: Merchant) -> None:
    def order(amount: int) -> PaymentOrder:
        return read_request(SECRET, "999008881", "1", merchant.request(amount_cents=amount).to_form(SECRET))

    bounded = OperationStore(capacity=2)
    first, second, third = (bounded.open(order(n)) for n in (1, 2, 3))
    assert len(bounded) == 2
    assert bounded.get(first.id) is None and bounded.get(second.id) and bounded.get(third.id)

    expired = OperationStore(lifetime=0)
    gone = expired.open(order(4))
    assert expired.get(gone.id) is None
