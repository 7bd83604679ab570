"""Generated files (bill PDFs, bills-due documents): a link that may first lead to "Your PDF is being
prepared", as people meet it with and without JavaScript."""

from __future__ import annotations

import re

from playwright.sync_api import Download, Page, expect

from e2e.pages import ENGLISH, Words


def download_when_ready(
    page: Page, javascript: bool, link_name: str | re.Pattern[str], words: Words = ENGLISH
) -> bytes:
    """On the "being prepared" page: with JavaScript the status updates itself and offers the link; without
    it, a person presses "Check again" until the browser receives the file."""
    preparing, ready = words("Your PDF is being prepared"), words("Your PDF is ready")
    if javascript:
        # The status updates itself: by now (after an axe scan on a busy machine, say) it may say ready.
        either = re.compile(f"^({re.escape(preparing)}|{re.escape(ready)})$")
        expect(page.get_by_role("heading", level=1, name=either)).to_be_visible()
        link = page.get_by_role("link", name=link_name)
        expect(link).to_be_visible(timeout=30_000)
        # The page no longer says "being prepared": its heading and title follow the status.
        expect(page.get_by_role("heading", level=1, name=ready)).to_be_visible()
        expect(page).to_have_title(re.compile("^" + re.escape(ready) + " – "))
        with page.expect_download() as download_info:
            link.click()
        return download_info.value.path().read_bytes()
    expect(
        page.get_by_role("heading", level=1, name=preparing)
    ).to_be_visible()  # only "Check again" changes it
    downloads: list[Download] = []
    page.on("download", lambda download: downloads.append(download))
    for _ in range(500):
        if downloads:
            break
        page.get_by_role("button", name=words("Check again")).click()
        page.wait_for_load_state()
    assert downloads, "the PDF never became ready"
    return downloads[0].path().read_bytes()
