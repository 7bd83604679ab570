"""The sandbox bank on its own, in Chromium with JavaScript on and off: a stand-in merchant's checkout
page posts a signed request to it, the payer goes through its pages (axe clean on each), the merchant
receives the signed notification, and the payer returns to the merchant."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import LiveStack
from e2e.pages.sandbox_bank import FUTURE_EXPIRY, SandboxBank
from portal.payments.redsys import Notification, PaymentRequest, verify_notification
from tests.integration.payments.sandbox.sandbox_merchant import SECRET, Merchant

Axe = Callable[[Page], None]


@pytest.fixture
def merchant() -> Iterator[Merchant]:
    stand_in = Merchant().start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def bank_url(local_stack: LiveStack) -> str:
    return local_stack.bank_url


def _checkout(page: Page, merchant: Merchant, bank_url: str, request: PaymentRequest | None = None) -> None:
    """The merchant's page: its "Pay by card" button posts the signed request to the bank."""
    page.goto(merchant.checkout(f"{bank_url}/sis/realizarPago", request or merchant.request()))
    page.get_by_role("button", name="Pay by card").click()


def _notification(merchant: Merchant) -> Notification:
    [form] = merchant.wait_for(1)
    return verify_notification(
        SECRET, form["Ds_SignatureVersion"], form["Ds_MerchantParameters"], form["Ds_Signature"]
    )


def test_an_authorised_card(page: Page, merchant: Merchant, bank_url: str, axe: Axe) -> None:
    request = merchant.request(description="Bill FA00000000950", amount_cents=2111)
    _checkout(page, merchant, bank_url, request)
    bank = SandboxBank(page).expect_card_page()
    expect(page.get_by_text("Sandbox bank — no real money")).to_be_visible()
    expect(page.get_by_text("21,11 €")).to_be_visible()
    expect(page.get_by_text(request.order)).to_be_visible()
    axe(page)

    bank.pay(card=SandboxBank.AUTHORISED, expiry=FUTURE_EXPIRY, cvv="123", holder="Oksana Kovalenko")
    bank.expect_result("Payment authorised")
    # Card data only ever in POST bodies: never in the address after the host (whose port may be 45483).
    address = urlsplit(page.url)._replace(scheme="", netloc="").geturl()
    assert "4548" not in address and "Oksana" not in address
    expect(page.get_by_text("454881******0004")).to_be_visible()
    axe(page)

    note = _notification(merchant)
    assert note.order == request.order and note.amount_cents == 2111
    assert note.authorised and note.response_code == 0
    assert note.card_number_masked == "454881******0004"
    expect(page.get_by_text(f"Authorisation code {note.authorisation_code}")).to_be_visible()

    bank.return_to_merchant()
    expect(page).to_have_url(f"{merchant.url}/ok")
    expect(page.get_by_role("heading", name="Back at the merchant: OK")).to_be_visible()


def test_card_errors_then_a_declined_card(page: Page, merchant: Merchant, bank_url: str, axe: Axe) -> None:
    _checkout(page, merchant, bank_url)
    bank = SandboxBank(page)
    bank.pay(card="4548 8120 4940 0005", expiry="01/20", cvv="12", holder="")
    bank.expect_error("Check the card number: it is not a valid card number")
    bank.expect_error("This card has expired: check the expiry date or use another card")
    bank.expect_error("The security code must be the 3 digits on the back of the card")
    bank.expect_error("Enter the name on the card")
    # What was typed is kept, except the security code.
    expect(page.get_by_label("Card number")).to_have_value("4548 8120 4940 0005")
    expect(page.get_by_label("Expiry date")).to_have_value("01/20")
    expect(page.get_by_label("Security code (CVV)")).to_have_value("")
    expect(page.get_by_label("Card number")).to_have_attribute("aria-invalid", "true")
    axe(page)
    assert merchant.notifications == []

    # An error summary link takes the payer to its field.
    page.get_by_role("alert").get_by_role("link", name="Enter the name on the card").click()
    expect(page.get_by_label("Name on the card")).to_be_focused()

    bank.pay(card=SandboxBank.DECLINED)
    bank.expect_result("Payment declined")
    axe(page)
    note = _notification(merchant)
    assert not note.authorised and note.response_code == 190
    bank.return_to_merchant()
    expect(page).to_have_url(f"{merchant.url}/ko")


def test_a_3ds_challenge_wrong_code_then_right(
    page: Page, merchant: Merchant, bank_url: str, axe: Axe
) -> None:
    _checkout(page, merchant, bank_url)
    bank = SandboxBank(page)
    bank.pay(card=SandboxBank.CHALLENGE_AUTHORISED)
    bank.expect_challenge_page()
    expect(page.get_by_text("491801******3839")).to_be_visible()
    axe(page)

    bank.challenge("111111")
    bank.expect_error("The confirmation code is not correct. You have 2 attempts left")
    axe(page)
    assert merchant.notifications == []

    bank.challenge(SandboxBank.CHALLENGE_CODE)
    bank.expect_result("Payment authorised")
    note = _notification(merchant)
    assert note.authorised and note.secure_payment == "1"


def test_a_3ds_challenge_then_declined(page: Page, merchant: Merchant, bank_url: str) -> None:
    _checkout(page, merchant, bank_url)
    bank = SandboxBank(page)
    bank.pay(card=SandboxBank.CHALLENGE_DECLINED)
    bank.challenge()
    bank.expect_result("Payment declined")
    note = _notification(merchant)
    assert not note.authorised and note.secure_payment == "1"


def test_cancel(page: Page, merchant: Merchant, bank_url: str, axe: Axe) -> None:
    _checkout(page, merchant, bank_url)
    bank = SandboxBank(page).expect_card_page()
    bank.cancel()
    bank.expect_result("Payment cancelled")
    axe(page)
    assert _notification(merchant).response_code == 9915
    bank.return_to_merchant()
    expect(page).to_have_url(f"{merchant.url}/ko")


def test_with_the_keyboard_alone(page: Page, merchant: Merchant, bank_url: str) -> None:
    _checkout(page, merchant, bank_url)
    SandboxBank(page).expect_card_page()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.get_by_label("Card number").focus()
    page.keyboard.type("4548812049400004")
    page.keyboard.press("Tab")
    page.keyboard.type(FUTURE_EXPIRY)
    page.keyboard.press("Tab")
    page.keyboard.type("123")
    page.keyboard.press("Tab")
    page.keyboard.type("Ana Demo")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Accept")).to_be_focused()
    page.keyboard.press("Enter")
    bank = SandboxBank(page).expect_result("Payment authorised")
    bank.return_link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{merchant.url}/ok")


def test_a_badly_signed_request(page: Page, merchant: Merchant, bank_url: str, axe: Axe) -> None:
    page.goto(merchant.checkout(f"{bank_url}/sis/realizarPago", merchant.request(), Ds_Signature="bad"))
    page.get_by_role("button", name="Pay by card").click()
    expect(page.get_by_role("heading", level=1, name="The payment cannot start")).to_be_visible()
    expect(page.get_by_text("The payment request is not correctly signed.")).to_be_visible()
    axe(page)
    assert merchant.notifications == []


def test_no_horizontal_scroll_at_320_pixels(page: Page, merchant: Merchant, bank_url: str) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    _checkout(page, merchant, bank_url)
    SandboxBank(page).expect_card_page()
    page.get_by_text("Test cards", exact=True).click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_the_footer_lines_up_with_the_header_and_the_page_at_1280_pixels(
    page: Page, merchant: Merchant, bank_url: str
) -> None:
    """Header, content and footer share one centred column: the footer's text starts where theirs do (it sat
    against the window's left edge)."""
    page.set_viewport_size({"width": 1280, "height": 900})
    _checkout(page, merchant, bank_url)
    SandboxBank(page).expect_card_page()
    # Both stylesheets applied: the heading shows before the page's load event, and a measure taken then
    # may see portal.css without sandbox.css (the header not yet centred), which no browser paints.
    page.wait_for_load_state("load")
    lefts = page.evaluate(
        "() => ['.sandbox-header__name', 'main h1', 'footer p']"
        ".map(selector => Math.round(document.querySelector(selector).getBoundingClientRect().left))"
    )
    assert lefts[0] > 0 and len(set(lefts)) == 1, lefts
