"""Page object for the sandbox bank (the card gateway's hosted page in development and tests), found by
role and label as QA scripts find them, in the language the portal asked the bank for (`Words`). The
portal's payment tests use it after "Start payment":

    bank = SandboxBank(page)
    bank.pay(card=SandboxBank.AUTHORISED)          # card page → "Accept"
    bank.expect_result("Payment authorised")
    bank.return_to_merchant()

    bank.pay(card=SandboxBank.CHALLENGE_AUTHORISED)
    bank.challenge("123456")                       # 3-D Secure page → "Confirm"
"""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import Locator, Page, expect

from e2e.pages import ENGLISH, Words

# Any future expiry works; this one stays in the future for as long as the suite lives.
FUTURE_EXPIRY = f"12/{(date.today().year + 4) % 100:02d}"


class SandboxBank:
    # The test cards (../shared/specs/redsys.md), CVV 123, any future expiry, challenge code 123456.
    AUTHORISED = "4548 8120 4940 0004"
    DECLINED = "5576 4400 2278 8500"
    CHALLENGE_AUTHORISED = "4918 0191 9988 3839"
    CHALLENGE_DECLINED = "4907 2711 4115 1707"
    CHALLENGE_CODE = "123456"

    def __init__(self, page: Page, words: Words = ENGLISH) -> None:
        self.page = page
        self._ = words

    # --- the card page -----------------------------------------------------------------------

    @property
    def card_heading(self) -> Locator:
        return self.page.get_by_role("heading", level=1, name=self._("Pay by card"))

    def expect_card_page(self) -> SandboxBank:
        expect(self.card_heading).to_be_visible()
        title = f"{self._('Pay by card')} – {self._('Sandbox bank')}"
        expect(self.page).to_have_title(re.compile(re.escape(title)))
        return self

    def fill_card(
        self,
        card: str = AUTHORISED,
        expiry: str = FUTURE_EXPIRY,
        cvv: str = "123",
        holder: str = "Ana Demo",
    ) -> SandboxBank:
        self.page.get_by_label(self._("Card number")).fill(card)
        self.page.get_by_label(self._("Expiry date")).fill(expiry)
        self.page.get_by_label(self._("Security code (CVV)")).fill(cvv)
        self.page.get_by_label(self._("Name on the card")).fill(holder)
        return self

    def accept(self) -> None:
        self.page.get_by_role("button", name=self._("Accept")).click()

    def cancel(self) -> None:
        """Press "Cancel" on the card or challenge page: the merchant is told, the payment is over."""
        self.page.get_by_role("button", name=self._("Cancel")).click()

    def pay(
        self,
        card: str = AUTHORISED,
        expiry: str = FUTURE_EXPIRY,
        cvv: str = "123",
        holder: str = "Ana Demo",
    ) -> None:
        """Fill the card form and "Accept". Then: a result page, a challenge page, or the form again with
        errors (check with expect_result, expect_challenge_page or expect_error)."""
        self.expect_card_page()
        self.fill_card(card, expiry, cvv, holder)
        self.accept()

    # --- 3-D Secure ----------------------------------------------------------------------------

    def expect_challenge_page(self) -> SandboxBank:
        expect(self.page.get_by_role("heading", level=1, name=self._("Confirm the payment"))).to_be_visible()
        return self

    def challenge(self, code: str = CHALLENGE_CODE) -> None:
        self.expect_challenge_page()
        self.page.get_by_label(self._("Confirmation code")).fill(code)
        self.page.get_by_role("button", name=self._("Confirm")).click()

    # --- errors and results --------------------------------------------------------------------

    def expect_error(self, message: str) -> SandboxBank:
        """The message in the error summary and next to its field."""
        expect(self.page).to_have_title(re.compile(rf"^{self._('Error:')} "))
        summary = self.page.get_by_role("alert")
        expect(summary.get_by_role("link", name=message)).to_be_visible()
        expect(self.page.locator(".error-message", has_text=message)).to_be_visible()
        return self

    def expect_result(self, heading: str) -> SandboxBank:
        """The result page by its heading (as written, in the page's language): "Payment authorised",
        "Payment declined", "Payment cancelled"."""
        expect(self.page.get_by_role("heading", level=1, name=heading)).to_be_visible()
        return self

    @property
    def return_link(self) -> Locator:
        return self.page.get_by_role("link", name=self._("Return to the merchant"))

    def return_to_merchant(self) -> None:
        self.return_link.click()
