"""Page objects for the public pages, found by role and label as QA scripts find them."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from e2e.pages import ENGLISH, Words


class HomePage:
    def __init__(self, page: Page, base_url: str, words: Words = ENGLISH) -> None:
        self.page = page
        self._ = words
        self.base_url = base_url

    def open(self) -> HomePage:
        self.page.goto(f"{self.base_url}/")
        expect(self.heading).to_be_visible()
        return self

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", level=1, name=self._("Customer Service Area"))

    @property
    def skip_link(self) -> Locator:
        return self.page.get_by_role("link", name=self._("Skip to main content"))

    @property
    def main(self) -> Locator:
        return self.page.get_by_role("main")
