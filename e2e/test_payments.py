"""Pay bills by card, both procedures of the seed's "Payment of bills", with JavaScript on and off,
through the sandbox bank: an authorised card, a declined card and a 3-D Secure challenge; axe clean on
every portal step. Each test pays a bill of a customer of its own."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import LiveStack
from e2e.data import FreshBill, mistyped_amount, payment_data
from e2e.pages.accounts import SignInPage
from e2e.pages.payments import BillPayment, PaymentData
from e2e.pages.sandbox_bank import SandboxBank
from portal.banking.cuaderno57 import PaymentCode, normalise_digits
from portal.banking.money import parse_amount

Axe = Callable[[Page], None]


def _to_bank(payment: BillPayment, bill: FreshBill, axe: Axe, email: str | None) -> None:
    payment.choose_cpr_code()
    payment.enter_code(payment_data(bill))
    payment.expect_check(bill.label, f"{bill.amount} €")
    axe(payment.page)
    payment.start_payment(email)
    axe(payment.page)
    payment.go_to_bank()


def test_pay_with_cpr_code_without_signing_in(
    page: Page, base_url: str, javascript: bool, axe: Axe, local_stack: LiveStack, mailbox: Any
) -> None:
    """Procedure 1: "Your service" → "Paying your bill/Bill payment" → "Pay now with CPR code" → the
    details at the bottom of the bill → card → "Accept" → the receipt, and the receipt by email."""
    customer = local_stack.customer(identity="nie" if javascript else "dni")
    due = customer.accounts[0].pending[-1]
    bill, amount, data = due.label, f"{due.amount} €", payment_data(due)
    if not javascript:  # typed another way: no hyphen in the issuer, a dot for the decimal comma
        data = PaymentData(data.cpr, data.issuer.replace("-", ""), data.reference, data.identification,
                           data.amount.replace(",", "."))  # fmt: skip
    page.goto(base_url)
    payment = BillPayment(page).open_from_menu()
    axe(page)
    payment.choose_cpr_code()
    axe(page)
    payment.enter_code(
        PaymentData(data.cpr, data.issuer, data.reference, data.identification, mistyped_amount(due))
    )
    payment.expect_error("The reference, identification and amount do not match each other")  # check digits
    expect(page.get_by_label("Reference", exact=True)).to_have_value(data.reference)  # input kept
    axe(page)
    page.get_by_label("Amount, in euros").fill(data.amount)
    page.get_by_role("button", name="Continue").click()
    payment.expect_check(bill, amount)
    expect(page.get_by_text(customer.name)).to_have_count(0)  # nothing about the holder
    axe(page)
    payment.start_payment("payer@example.com")
    axe(page)
    payment.go_to_bank()

    bank = SandboxBank(page)
    bank.pay(card=SandboxBank.AUTHORISED)
    bank.expect_result("Payment authorised")
    bank.return_to_merchant()
    payment.wait_for("Payment complete", javascript=javascript)
    expect(page.get_by_text("454881******0004")).to_be_visible()
    expect(page.get_by_text("payer@example.com")).to_be_visible()
    axe(page)
    [message] = mailbox.wait_for_sync(1, to="payer@example.com")
    assert message["Subject"].startswith(f"Payment receipt: {bill}")

    # The bill is paid now: paying it again is explained.
    page.goto(f"{base_url}/pay/code")
    payment.enter_code(data)
    payment.expect_error("This bill is already paid")


def test_pay_with_barcode_as_a_user(
    page: Page, base_url: str, local_stack: LiveStack, javascript: bool, axe: Axe
) -> None:
    """Procedure 2: "My bills" → a pending bill → "View online bill" → its payment data (as on the PDF);
    back to "My bills" → "Online payment" → "Pay now with barcode" → the user's email → "Start payment"
    → card → "Accept"."""
    user = local_stack.customer(pending=(2, 0), user="private").signs_in_as
    page.goto(f"{base_url}/sign-in")
    SignInPage(page).sign_in(user.username, user.password)
    page.get_by_role("link", name="My bills").click()
    pending = page.locator(".pending-bills li").last
    number = pending.locator("strong").inner_text()
    pending.get_by_role("link", name="View online bill").click()
    expect(page.get_by_role("heading", level=1, name=f"Bill {number}")).to_be_visible()

    def value(key: str) -> str:
        return (
            page.locator(".summary-list__row", has=page.locator("dt", has_text=key))
            .last.locator("dd")
            .inner_text()
        )

    issuer_suffix = normalise_digits(value("Issuer-suffix"))
    code = PaymentCode(
        issuer_suffix[:8],
        issuer_suffix[8:],
        value("Reference"),
        value("Identification"),
        parse_amount(value("Amount")),
    )
    amount = value("Amount")
    page.get_by_role("link", name="My bills").first.click()
    # With JavaScript the link is boosted: the click returns before My bills replaces the bill, whose own
    # "Online payment" (to "Pay now with barcode") the next click could otherwise find (seen once in CI).
    expect(page.get_by_role("heading", level=1, name="My bills")).to_be_visible()
    page.get_by_role("link", name="Online payment").click()
    payment = BillPayment(page).expect_open()
    axe(page)
    payment.choose_barcode()
    axe(page)
    digits = code.barcode_digits
    payment.enter_barcode(" ".join(digits[i : i + 4] for i in range(0, 46, 4)))  # as printed, with spaces
    payment.expect_check(f"Bill {number}", amount)
    expect(payment.email).not_to_have_value("")  # the user's address, editable
    axe(page)
    payment.start_payment()
    axe(page)
    payment.go_to_bank()
    bank = SandboxBank(page)
    bank.pay(card=SandboxBank.AUTHORISED)
    bank.return_to_merchant()
    payment.wait_for("Payment complete", javascript=javascript)
    axe(page)

    page.get_by_role("link", name="Back to My bills").click()
    # My bills itself (not the page left behind, which has no pending list): the other bill is still due.
    expect(page.get_by_role("heading", level=1, name="My bills")).to_be_visible()
    expect(page.locator(".pending-bills li")).to_have_count(1)
    expect(page.locator(".pending-bills li", has_text=number)).to_have_count(0)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Customer Service Area").click()
    # The account's "Last payment" is now this card payment (other accounts may show payments made elsewhere).
    expect(
        page.get_by_role("link", name=re.compile(rf"^{re.escape(amount.split()[0])}\s€ by card, "))
    ).to_be_visible()


def test_a_declined_card_leaves_the_bill_pending(
    page: Page, base_url: str, local_stack: LiveStack, javascript: bool, axe: Axe
) -> None:
    bill = local_stack.customer().accounts[0].pending[-1]
    page.goto(f"{base_url}/pay")
    payment = BillPayment(page).expect_open()
    _to_bank(payment, bill, axe, email=None)
    bank = SandboxBank(page)
    bank.pay(card=SandboxBank.DECLINED)
    bank.expect_result("Payment declined")
    bank.return_to_merchant()
    payment.wait_for("Your payment was not accepted", javascript=javascript)
    axe(page)
    page.get_by_role("link", name="Try again").click()
    payment.expect_check(bill.label, f"{bill.amount} €")  # still pending: it can be paid


def test_a_3d_secure_challenge(
    page: Page, base_url: str, local_stack: LiveStack, javascript: bool, axe: Axe
) -> None:
    bill = local_stack.customer(identity="cif").accounts[0].pending[-1]
    page.goto(f"{base_url}/pay")
    payment = BillPayment(page).expect_open()
    _to_bank(payment, bill, axe, email="")
    bank = SandboxBank(page)
    bank.pay(card=SandboxBank.CHALLENGE_AUTHORISED)
    bank.challenge(SandboxBank.CHALLENGE_CODE)
    bank.expect_result("Payment authorised")
    bank.return_to_merchant()
    payment.wait_for("Payment complete", javascript=javascript)
    axe(page)


@pytest.mark.parametrize("javascript", [True], ids=["js"])
def test_the_banks_answer_coming_in_leaves_the_focus_on_it(
    page: Page, base_url: str, local_stack: LiveStack, axe: Axe
) -> None:
    """ "Waiting for the bank", a keyboard user on "Check again" while the bank answers (paid in another
    tab): the page updates itself, and the focus goes to the answer's heading, not back to the top."""
    bill = local_stack.customer().accounts[0].pending[-1]
    page.goto(f"{base_url}/pay")
    payment = BillPayment(page).expect_open().choose_cpr_code()
    payment.enter_code(payment_data(bill))
    payment.expect_check(bill.label, f"{bill.amount} €")
    payment.start_payment()
    bank_tab = page.context.new_page()
    bank_tab.goto(page.url)  # the same "Go to the bank to pay", in a second tab of the same browser
    BillPayment(bank_tab).go_to_bank()
    page.goto(page.url.removesuffix("/bank"))
    expect(payment.heading("Waiting for the bank")).to_be_visible()
    page.get_by_role("button", name="Check again").focus()
    SandboxBank(bank_tab).pay(card=SandboxBank.AUTHORISED)
    expect(page.get_by_role("heading", level=1, name="Payment complete")).to_be_focused(timeout=20_000)
    expect(page).to_have_title(re.compile("^Payment complete – "))
    axe(page)


def test_a_check_page_opened_without_its_browsers_cookie_says_it_is_no_longer_available(
    page: Page, base_url: str, axe: Axe, local_stack: LiveStack
) -> None:
    """The check page's address in another browser (or once the payer cookie is gone, as after its 2
    hours): what happened and the way to pay, not "Page not found"."""
    due = local_stack.customer().accounts[0].pending[-1]
    page.goto(f"{base_url}/pay")
    payment = BillPayment(page).choose_cpr_code()
    payment.enter_code(payment_data(due))
    payment.expect_check(due.label, f"{due.amount} €")
    page.context.clear_cookies()
    page.reload()
    expect(payment.heading("This payment page is no longer available")).to_be_visible()
    axe(page)
    page.get_by_role("link", name="Find the bill again to pay it").click()
    expect(payment.heading("Bill payment")).to_be_visible()
