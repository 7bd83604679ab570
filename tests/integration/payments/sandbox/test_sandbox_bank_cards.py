"""The card form, the 3-D Secure challenge and "Cancel": what the payer sees, and the signed notification
each test card sends the merchant (verified as the portal verifies it)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from portal.payments.sandbox.cards import CardForm, check_card
from tests.integration.payments.sandbox.sandbox_merchant import Merchant
from tests.integration.payments.sandbox.sandbox_support import (  # noqa: F401 (fixtures)
    BankClient,
    merchant_fixture,
    notification,
    sandbox_fixture,
)

DATE = re.compile(r"[0-3][0-9]%2F[01][0-9]%2F20[0-9]{2}")
HOUR = re.compile(r"[0-2][0-9]%3A[0-5][0-9]")


def _error(html: str, field: str) -> str:
    match = re.search(rf'<p id="{field}-error" class="error-message">.*?</span> (.*?)</p>', html)
    assert match is not None, f"no error for {field}"
    return match.group(1)


@pytest.mark.parametrize(
    ("card", "masked", "code", "brand"),
    [
        ("4548 8120 4940 0004", "454881******0004", 0, "1"),
        ("5576-4400-2278-8500", "557644******8500", 190, "2"),
        ("4111111111111111", "411111******1111", 0, "1"),  # any other valid card: authorised
    ],
)
async def test_cards_without_a_challenge(
    sandbox: BankClient, merchant: Merchant, card: str, masked: str, code: int, brand: str
) -> None:
    request = merchant.request(merchant_data="bill:25", amount_cents=2111)
    path = await sandbox.open(request)
    accepted = await sandbox.pay(path, card_number=card)
    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"{path}/result"

    [form] = merchant.notifications  # sent before the browser is sent back
    note = notification(form)
    assert note.order == request.order
    assert note.amount_cents == 2111 and note.currency == "978"
    assert note.response_code == code and note.authorised is (code == 0)
    assert note.card_number_masked == masked
    assert note.merchant_data == "bill:25"
    assert note.secure_payment == "0"
    assert note.date is not None and DATE.fullmatch(note.date)
    assert note.hour is not None and HOUR.fullmatch(note.hour)
    assert note.raw["Ds_MerchantCode"] == "999008881" and note.raw["Ds_Terminal"] == "001"
    assert note.raw["Ds_Card_Brand"] == brand
    if code == 0:
        assert note.authorisation_code is not None and re.fullmatch(r"[0-9]{6}", note.authorisation_code)
    else:
        assert note.authorisation_code == ""
    assert not set(form["Ds_Signature"]) & {"+", "/"}  # Base64url, as Redsys signs notifications

    result = await sandbox.http.get(accepted.headers["location"])
    assert result.status_code == 200
    heading = "Payment authorised" if code == 0 else "Payment declined"
    assert heading in result.text
    back = f"{merchant.url}/ok" if code == 0 else f"{merchant.url}/ko"
    assert f'<a href="{back}" class="button" draggable="false">Return to the merchant</a>' in result.text
    assert masked in result.text
    if code == 0:
        assert note.authorisation_code in result.text


@pytest.mark.parametrize(("card", "code"), [("4918 0191 9988 3839", 0), ("4907 2711 4115 1707", 190)])
async def test_challenge_cards_ask_for_the_code_first(
    sandbox: BankClient, merchant: Merchant, card: str, code: int
) -> None:
    path = await sandbox.open(merchant.request())
    accepted = await sandbox.pay(path, card_number=card)
    assert accepted.status_code == 303 and accepted.headers["location"] == f"{path}/challenge"
    challenge = await sandbox.http.get(f"{path}/challenge")
    assert "<h1>Confirm the payment</h1>" in challenge.text
    assert 'autocomplete="one-time-code"' in challenge.text
    # Back to the card page: it sends the payer on to the challenge, not to a second card form.
    assert (await sandbox.http.get(path)).headers["location"] == f"{path}/challenge"
    assert merchant.notifications == []

    wrong = await sandbox.post(f"{path}/challenge", {"code": "654321"})
    assert wrong.status_code == 422
    assert _error(wrong.text, "code") == "The confirmation code is not correct. You have 2 attempts left"
    assert 'value="654321"' in wrong.text
    assert "<title>Error: Confirm the payment" in wrong.text
    assert merchant.notifications == []

    right = await sandbox.post(f"{path}/challenge", {"code": "123 456"})
    assert right.status_code == 303 and right.headers["location"] == f"{path}/result"
    [form] = merchant.notifications
    note = notification(form)
    assert note.response_code == code
    assert note.secure_payment == "1"
    assert note.card_number_masked is not None and note.card_number_masked.endswith(card[-4:])


async def test_three_wrong_codes_deny_the_payment(sandbox: BankClient, merchant: Merchant) -> None:
    path = await sandbox.open(merchant.request())
    await sandbox.pay(path, card_number="4918019199883839")
    for left in ("2 attempts", "1 attempt"):
        wrong = await sandbox.post(f"{path}/challenge", {"code": "000000"})
        assert f"You have {left} left" in wrong.text
    last = await sandbox.post(f"{path}/challenge", {"code": "000000"})
    assert last.status_code == 303 and last.headers["location"] == f"{path}/result"
    assert notification(merchant.notifications[0]).response_code == 184


@pytest.mark.parametrize(
    ("code", "message"),
    [("", "Enter the confirmation code"), ("12345", "The confirmation code must be 6 digits")],
)
async def test_a_malformed_code_is_not_an_attempt(
    sandbox: BankClient, merchant: Merchant, code: str, message: str
) -> None:
    path = await sandbox.open(merchant.request())
    await sandbox.pay(path, card_number="4918019199883839")
    response = await sandbox.post(f"{path}/challenge", {"code": code})
    assert response.status_code == 422
    assert _error(response.text, "code") == message
    assert sandbox.bank.get(path.rsplit("/", 1)[1]).challenge_attempts_left == 3  # type: ignore[union-attr]


async def test_cancel_on_the_card_page(sandbox: BankClient, merchant: Merchant) -> None:
    path = await sandbox.open(merchant.request())
    cancelled = await sandbox.post(f"{path}/cancel")
    assert cancelled.status_code == 303 and cancelled.headers["location"] == f"{path}/result"
    note = notification(merchant.notifications[0])
    assert note.response_code == 9915 and not note.authorised
    assert note.card_number_masked is None  # no card was typed
    result = await sandbox.http.get(f"{path}/result")
    assert "Payment cancelled" in result.text
    assert f'href="{merchant.url}/ko"' in result.text
    # The payment is over: the card page and a second cancel lead to the result, with no second notification.
    assert (await sandbox.http.get(path)).headers["location"] == f"{path}/result"
    assert (await sandbox.pay(path)).headers["location"] == f"{path}/result"
    assert (await sandbox.post(f"{path}/cancel")).headers["location"] == f"{path}/result"
    assert len(merchant.notifications) == 1


async def test_cancel_on_the_challenge_page(sandbox: BankClient, merchant: Merchant) -> None:
    path = await sandbox.open(merchant.request())
    await sandbox.pay(path, card_number="4918 0191 9988 3839")
    await sandbox.post(f"{path}/cancel")
    note = notification(merchant.notifications[0])
    assert note.response_code == 9915
    assert note.card_number_masked == "491801******3839"


async def test_errors_next_to_each_field_with_a_summary_and_the_input_kept(
    sandbox: BankClient, merchant: Merchant
) -> None:
    path = await sandbox.open(merchant.request())
    response = await sandbox.post(
        path, {"card_number": "4548 8120 4940 0005", "expiry": "01/20", "cvv": "12", "holder": "Ana Demo"}
    )
    assert response.status_code == 422
    html = response.text
    assert "<title>Error: Pay by card" in html
    assert '<div class="error-summary" role="alert"' in html
    assert _error(html, "card_number") == "Check the card number: it is not a valid card number"
    assert _error(html, "expiry") == "This card has expired: check the expiry date or use another card"
    assert _error(html, "cvv") == "The security code must be the 3 digits on the back of the card"
    for field in ("card_number", "expiry", "cvv"):
        assert f'<a href="#{field}">' in html
        assert re.search(rf'id="{field}"[^>]*aria-describedby="{field}-hint {field}-error"', html)
    assert 'value="4548 8120 4940 0005"' in html and 'value="01/20"' in html and 'value="Ana Demo"' in html
    assert 'value="12"' not in html  # the security code is never sent back
    assert merchant.notifications == []
    # The same page then takes a good card.
    assert (await sandbox.pay(path)).status_code == 303


async def test_empty_form(sandbox: BankClient, merchant: Merchant) -> None:
    path = await sandbox.open(merchant.request())
    response = await sandbox.post(path, {})
    assert response.status_code == 422
    assert _error(response.text, "card_number") == "Enter the card number"
    assert _error(response.text, "expiry") == "Enter the expiry date of the card"
    assert _error(response.text, "cvv") == "Enter the security code"
    assert _error(response.text, "holder") == "Enter the name on the card"


async def test_the_bank_asks_the_browser_for_no_icon(sandbox: BankClient, merchant: Merchant) -> None:
    """Not the utility's icon (another organisation's site), and no /favicon.ico asked for on each page."""
    page = await sandbox.http.get(await sandbox.open(merchant.request()))
    assert page.status_code == 200
    assert re.findall(r'<link rel="icon"[^>]*>', page.text) == ['<link rel="icon" href="data:,">']


async def test_the_card_form_needs_its_csrf_token(sandbox: BankClient, merchant: Merchant) -> None:
    path = await sandbox.open(merchant.request())
    response = await sandbox.http.post(path, data={"card_number": "4548812049400004"})
    assert response.status_code == 403
    assert "<h1>This form has expired</h1>" in response.text
    assert merchant.notifications == []


TODAY = date(2026, 11, 28)


@pytest.mark.parametrize(
    ("expiry", "message"),
    [
        ("11/26", None),  # valid until the end of its month
        ("1126", None),
        ("11 / 2026", None),
        ("1/27", None),
        ("10/26", "This card has expired: check the expiry date or use another card"),
        ("13/27", "The expiry month must be a number from 01 to 12"),
        ("00/27", "The expiry month must be a number from 01 to 12"),
        ("2027-11", "Enter the expiry date as it is shown on the card, like 08/29"),
        ("11/2", "Enter the expiry date as it is shown on the card, like 08/29"),
        ("11/60", "Check the expiry date: it is too far in the future"),
    ],
)
def test_expiry_dates(expiry: str, message: str | None) -> None:
    form = CardForm(number="4548812049400004", expiry=expiry, cvv="123", holder="Ana")
    _, errors = check_card(form, TODAY)
    assert errors.get("expiry") == message


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("4548 8120 4940 0004", None),
        ("4548-8120-4940-0004", None),
        (" 4548812049400004 ", None),
        ("4548 8120 4940 0003", "Check the card number: it is not a valid card number"),
        ("4548 8120 4940 000a", "The card number must contain only digits, spaces and hyphens"),
        ("٤٥٤٨٨١٢٠٤٩٤٠٠٠٠٤", "The card number must contain only digits, spaces and hyphens"),
        ("42", "The card number must be between 13 and 19 digits"),
        ("4" * 20, "The card number must be between 13 and 19 digits"),
    ],
)
def test_card_numbers(number: str, message: str | None) -> None:
    form = CardForm(number=number.strip(), expiry="12/30", cvv="123", holder="Ana")
    card, errors = check_card(form, TODAY)
    assert errors.get("card_number") == message
    if message is None:
        assert card is not None and card.masked == "454881******0004"


@pytest.mark.parametrize("cvv", ["1234", "12a", "1 3"])
def test_security_codes(cvv: str) -> None:
    _, errors = check_card(CardForm(number="4548812049400004", expiry="12/30", cvv=cvv, holder="A"), TODAY)
    assert errors == {"cvv": "The security code must be the 3 digits on the back of the card"}
