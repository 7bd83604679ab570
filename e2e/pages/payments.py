"""Page objects for "Paying your bill/Bill payment": the bank access page, "Pay now with CPR code",
"Pay now with barcode", the check page, the way to the bank and the return page, found by role and
label as QA scripts find them. The card itself is typed on the sandbox bank (e2e/pages/sandbox_bank.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.sync_api import Locator, Page, expect

from e2e.pages import ENGLISH, Words


@dataclass(frozen=True)
class PaymentData:
    """The details printed at the bottom of a bill (README, "Demo data")."""

    cpr: str
    issuer: str
    reference: str
    identification: str
    amount: str


class BillPayment:
    def __init__(self, page: Page, words: Words = ENGLISH) -> None:
        self.page = page
        self._ = words

    def heading(self, name: str) -> Locator:
        return self.page.get_by_role("heading", level=1, name=name)

    def open_from_menu(self) -> BillPayment:
        """ "Your service" in the main menu → "Paying your bill/Bill payment"."""
        self.page.locator("summary", has_text=self._("Your service")).click()
        self.page.get_by_role("link", name=self._("Paying your bill/Bill payment")).click()
        return self.expect_open()

    def expect_open(self) -> BillPayment:
        expect(self.heading(self._("Bill payment"))).to_be_visible()
        expect(
            self.page.get_by_text(self._("You don't need to be a client of the bank to be able to pay."))
        ).to_be_visible()
        return self

    def choose_cpr_code(self) -> BillPayment:
        self.page.get_by_role("link", name=self._("Pay now with CPR code")).click()
        expect(self.heading(self._("Pay now with CPR code"))).to_be_visible()
        return self

    def choose_barcode(self) -> BillPayment:
        self.page.get_by_role("link", name=self._("Pay now with barcode")).click()
        expect(self.heading(self._("Pay now with barcode"))).to_be_visible()
        return self

    def enter_code(self, data: PaymentData) -> None:
        self.page.get_by_label(self._("CPR code"), exact=True).fill(data.cpr)
        self.page.get_by_label(self._("Issuer"), exact=True).fill(data.issuer)
        self.page.get_by_label(self._("Reference"), exact=True).fill(data.reference)
        self.page.get_by_label(self._("Identification"), exact=True).fill(data.identification)
        self.page.get_by_label(self._("Amount, in euros")).fill(data.amount)
        self.page.get_by_role("button", name=self._("Continue")).click()

    def enter_barcode(self, digits: str) -> None:
        self.page.get_by_label(self._("Number under the barcode")).fill(digits)
        self.page.get_by_role("button", name=self._("Continue")).click()

    def expect_error(self, message: str) -> BillPayment:
        expect(self.page).to_have_title(re.compile(r"^Error: "))
        # The keyboard starts at the problems, with or without JavaScript (autofocus).
        expect(self.page.get_by_role("alert")).to_be_focused()
        expect(self.page.get_by_role("alert").get_by_role("link", name=message)).to_be_visible()
        expect(self.page.locator(".error-message", has_text=message)).to_be_visible()
        return self

    def expect_check(self, what: str, amount: str) -> BillPayment:
        expect(self.heading(self._("Check what you are paying"))).to_be_visible()
        expect(self.page.get_by_text(what, exact=True)).to_be_visible()
        expect(self.page.get_by_text(amount, exact=True)).to_be_visible()
        return self

    @property
    def email(self) -> Locator:
        return self.page.get_by_label(self._("Email address"))

    def start_payment(self, email: str | None = None) -> BillPayment:
        if email is not None:
            self.email.fill(email)
        self.page.get_by_role("button", name=self._("Start payment")).click()
        expect(self.heading(self._("Go to the bank to pay"))).to_be_visible()
        return self

    def go_to_bank(self) -> None:
        self.page.get_by_role("button", name=self._("Go to the bank to pay")).click()

    def wait_for(self, heading: str, *, javascript: bool) -> BillPayment:
        """Back from the bank: with JavaScript the page updates itself; without, press "Check again"."""
        target = self.heading(heading)
        if javascript:
            expect(target).to_be_visible(timeout=20_000)
            return self
        for _ in range(40):
            try:
                expect(target).to_be_visible(timeout=500)
                return self
            except AssertionError:
                self.page.get_by_role("button", name=self._("Check again")).click()
        expect(target).to_be_visible()
        return self
