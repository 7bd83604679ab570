"""Page objects for "Massive bills download" and "Downloads requested", found by role and label as QA
scripts find them."""

from __future__ import annotations

import re

from playwright.sync_api import Download, Locator, Page, expect


class MassiveDownload:
    def __init__(self, page: Page) -> None:
        self.page = page

    def open_from_all_transactions(self) -> MassiveDownload:
        self.page.get_by_role("link", name="All transactions").click()
        self.page.get_by_role("link", name="Massive bills download").click()
        expect(self.page.get_by_role("heading", level=1, name="Massive bills download")).to_be_visible()
        return self

    def request_download(self) -> None:
        self.page.get_by_role("link", name="Request download").click()
        expect(self.page.get_by_role("heading", level=1, name="Request download")).to_be_visible()

    def fill_details(self, name: str, period: str, select_by: str, selector: str) -> None:
        self.page.get_by_label("Name of the downloaded file").fill(name)
        self.page.get_by_role("radio", name=period).check()
        self.page.get_by_role("radio", name=select_by).check()
        field = "Identity document" if select_by == "By identity document" else "Account number"
        self.page.get_by_label(field, exact=True).fill(selector)
        self.continue_()

    def fill_month(self, legend: str, month: str, year: str) -> None:
        group = self.page.get_by_role("group", name=legend)
        group.get_by_label("Month").fill(month)
        group.get_by_label("Year").fill(year)

    def continue_(self) -> None:
        self.page.get_by_role("button", name="Continue").click()

    def expect_marking_page(self) -> None:
        expect(
            self.page.get_by_role("heading", level=1, name="Mark the bills you want to download")
        ).to_be_visible()

    def bill_boxes(self) -> Locator:
        return self.page.get_by_role("checkbox", name=re.compile(r"Mark bill FA\d+"))

    def expect_marked(self, count: int) -> None:
        expect(self.page.locator("#marked-summary")).to_contain_text(
            f"{count} bill{'s' if count != 1 else ''} marked"
        )

    def select_all_shown(self) -> None:
        self.page.get_by_role("button", name="Select all shown").click()

    def clear(self) -> None:
        self.page.get_by_role("button", name="Clear").click()

    def expect_check_page(self) -> None:
        expect(
            self.page.get_by_role("heading", level=1, name="Check the bills you want to download")
        ).to_be_visible()

    def download_list(self) -> Download:
        with self.page.expect_download() as info:
            self.page.get_by_role("link", name=re.compile("^Download list")).click()
        return info.value

    def confirm(self) -> None:
        self.page.get_by_role("button", name="Confirm").click()
        expect(self.page.get_by_role("heading", level=1, name="Download requested")).to_be_visible()


class DownloadsRequested:
    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> DownloadsRequested:
        self.page.get_by_role("link", name="Downloads requested").first.click()
        expect(self.page.get_by_role("heading", level=1, name="Downloads requested")).to_be_visible()
        return self

    def row(self, file_name: str) -> Locator:
        return self.page.get_by_role("row").filter(has_text=file_name)

    def wait_and_download(self, file_name: str, javascript: bool) -> Download:
        """With JavaScript the list updates itself; without it, "Check again" until the file is ready."""
        link = self.page.get_by_role("link", name=f"Download {file_name}")
        if javascript:
            expect(link).to_be_visible(timeout=120_000)
        else:
            for _ in range(240):
                if link.count():
                    break
                self.page.get_by_role("button", name="Check again").click()
                self.page.wait_for_load_state()
                self.page.wait_for_timeout(500)  # a person looks, then presses again
            expect(link).to_be_visible()
        with self.page.expect_download() as info:
            link.click()
        return info.value
