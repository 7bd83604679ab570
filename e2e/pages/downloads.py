"""Page objects for "Massive bills download" and "Downloads requested", found by role and label as QA
scripts find them, in the page's language (`Words`)."""

from __future__ import annotations

import re

from playwright.sync_api import Download, Locator, Page, expect

from e2e.pages import ENGLISH, Words


class MassiveDownload:
    def __init__(self, page: Page, words: Words = ENGLISH) -> None:
        self.page = page
        self._ = words

    def open_from_all_transactions(self) -> MassiveDownload:
        self.page.get_by_role("link", name=self._("All transactions")).click()
        self.page.get_by_role("link", name=self._("Massive bills download")).click()
        expect(
            self.page.get_by_role("heading", level=1, name=self._("Massive bills download"))
        ).to_be_visible()
        return self

    def request_download(self) -> None:
        self.page.get_by_role("link", name=self._("Request download")).click()
        expect(self.page.get_by_role("heading", level=1, name=self._("Request download"))).to_be_visible()

    def fill_details(self, name: str, period: str, select_by: str, selector: str) -> None:
        """`period` and `select_by` are the radios' English names."""
        self.page.get_by_label(self._("Name of the downloaded file")).fill(name)
        self.page.get_by_role("radio", name=self._(period)).check()
        self.page.get_by_role("radio", name=self._(select_by)).check()
        field = "Identity document" if select_by == "By identity document" else "Account number"
        self.page.get_by_label(self._(field), exact=True).fill(selector)
        self.continue_()

    def fill_month(self, legend: str, month: str, year: str) -> None:
        group = self.page.get_by_role("group", name=self._(legend))
        group.get_by_label(self._("Month")).fill(month)
        group.get_by_label(self._("Year")).fill(year)

    def continue_(self) -> None:
        self.page.get_by_role("button", name=self._("Continue")).click()

    def expect_marking_page(self) -> None:
        expect(
            self.page.get_by_role("heading", level=1, name=self._("Mark the bills you want to download"))
        ).to_be_visible()

    def bill_boxes(self) -> Locator:
        mark = re.escape(self._("Mark bill %(number)s", number="FA"))
        return self.page.get_by_role("checkbox", name=re.compile(mark + r"\d+"))

    def expect_marked(self, count: int) -> None:
        """In English only (its words are a plural form per number)."""
        expect(self.page.locator("#marked-summary")).to_contain_text(
            f"{count} bill{'s' if count != 1 else ''} marked"
        )

    def select_all_shown(self) -> None:
        self.page.get_by_role("button", name=self._("Select all shown")).click()

    def clear(self) -> None:
        self.page.get_by_role("button", name=self._("Clear")).click()

    def expect_check_page(self) -> None:
        expect(
            self.page.get_by_role("heading", level=1, name=self._("Check the bills you want to download"))
        ).to_be_visible()

    def download_list(self) -> Download:
        label = self._.plain(
            'Download list<span class="visually-hidden"> of the marked bills in Excel format</span>'
        )
        with self.page.expect_download() as info:
            self.page.get_by_role("link", name=label).click()
        return info.value

    def confirm(self) -> None:
        self.page.get_by_role("button", name=self._("Confirm")).click()
        expect(self.page.get_by_role("heading", level=1, name=self._("Download requested"))).to_be_visible()


class DownloadsRequested:
    def __init__(self, page: Page, words: Words = ENGLISH) -> None:
        self.page = page
        self._ = words

    def open(self) -> DownloadsRequested:
        self.page.get_by_role("link", name=self._("Downloads requested")).first.click()
        expect(self.page.get_by_role("heading", level=1, name=self._("Downloads requested"))).to_be_visible()
        return self

    def row(self, file_name: str) -> Locator:
        return self.page.get_by_role("row").filter(has_text=file_name)

    def wait_and_download(self, file_name: str, javascript: bool) -> Download:
        """With JavaScript the list updates itself; without it, "Check again" until the file is ready."""
        link = self.page.get_by_role(
            "link",
            name=self._.plain(
                'Download<span class="visually-hidden"> %(file_name)s</span>', file_name=file_name
            ),
        )
        if javascript:
            expect(link).to_be_visible(timeout=120_000)
        else:
            for _ in range(240):
                if link.count():
                    break
                self.page.get_by_role("button", name=self._("Check again")).click()
                self.page.wait_for_load_state()
                self.page.wait_for_timeout(500)  # a person looks, then presses again
            expect(link).to_be_visible()
        with self.page.expect_download() as info:
            link.click()
        return info.value
