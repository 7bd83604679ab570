"""Page objects for "Payment documents", found by role and label as QA scripts find them."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect


class PaymentDocuments:
    def __init__(self, page: Page) -> None:
        self.page = page

    def open_from_manage_your_account(self) -> None:
        expect(self.page.get_by_role("heading", level=2, name="Bills and payments")).to_be_visible()
        self.page.get_by_role("link", name="Payment documents").click()
        expect(self.page.get_by_role("heading", level=1, name="Payment documents")).to_be_visible()

    def choose_account(self, number: str) -> None:
        self.page.get_by_label(re.compile(f"^Account {number}")).check()
        self.page.get_by_role("button", name="Continue").click()
        expect(self.page.get_by_role("heading", level=1, name="Select the bills to pay")).to_be_visible()

    def select_all(self) -> None:
        self.page.get_by_role("link", name="Select all").click()
        expect(self.bill_boxes().last).to_be_checked()

    def bill_boxes(self) -> Locator:
        return self.page.get_by_role("checkbox", name=re.compile(r"^Pay bill FA\d+"))

    def create_button(self) -> Locator:
        return self.page.get_by_role("button", name="Create bills due document")

    def confirm_on_a_page(self, javascript: bool) -> None:
        """ "Create bills due document" to the confirmation page: without JavaScript, the button; with it,
        the form sent as when the button is pressed before the page's script has loaded (no dialog)."""
        if javascript:
            self.create_button().evaluate("button => button.form.submit()")
        else:
            self.create_button().click()
        expect(
            self.page.get_by_role("heading", level=1, name="Create the bills due document?")
        ).to_be_visible()

    def dialog(self) -> Locator:
        return self.page.get_by_role("dialog", name="Create the bills due document?")

    def expect_document(self) -> str:
        heading = self.page.get_by_role("heading", level=1, name=re.compile(r"^Bills due document \d{13}$"))
        expect(heading).to_be_visible()
        return heading.inner_text().rsplit(" ", 1)[1]
