"""Page objects for the public pages, found by role and label as QA scripts find them."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect


class HomePage:
    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    def open(self) -> HomePage:
        self.page.goto(f"{self.base_url}/")
        expect(self.heading).to_be_visible()
        return self

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", level=1, name="Customer Service Area")

    @property
    def skip_link(self) -> Locator:
        return self.page.get_by_role("link", name="Skip to main content")

    @property
    def main(self) -> Locator:
        return self.page.get_by_role("main")
