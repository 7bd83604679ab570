"""Accessibility checks with axe-core (bundled by axe-playwright-python, runs offline).

axe runs as a script in the page, so a JavaScript-off page is checked by showing the very same HTML (at
the same address, so its styles load and contrast is measured) in a JavaScript-on page.
"""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Route

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
_AXE = Axe()


class Scanner:
    """Runs axe on what a page shows now. One per browser: the JavaScript-on page that shows a
    JavaScript-off page's HTML is kept between scans (a new context and page for each scan was half of
    a scan's time), and it takes the scanned page's cookies each time."""

    def __init__(self, browser: Browser) -> None:
        self._browser = browser
        self._snapshot_page: Page | None = None

    def assert_accessible(self, page: Page, *, javascript: bool) -> None:
        # A click on a link returns once the next document is committed, which may not be parsed yet (CI
        # once scanned "<html><head></head><body></body></html>" there): judge the whole document.
        page.wait_for_load_state("load")
        if javascript:
            _assert_no_violations(page)
            return
        html = page.content()
        url = page.url
        scan = self._snapshot()
        scan.context.clear_cookies()
        scan.context.add_cookies(page.context.cookies())  # the page's scripts ask as this user would

        def serve_snapshot(route: Route) -> None:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

        scan.route(url, serve_snapshot)
        try:
            scan.goto(url)
            _assert_no_violations(scan)
        finally:
            scan.unroute(url)
            # Stops the snapshot's scripts, and makes the next scan a real navigation even when only its
            # address's fragment differs.
            scan.goto("about:blank")

    def _snapshot(self) -> Page:
        if self._snapshot_page is None or self._snapshot_page.is_closed():
            self._snapshot_page = self._browser.new_context(java_script_enabled=True).new_page()
        return self._snapshot_page

    def close(self) -> None:
        if self._snapshot_page is not None:
            self._snapshot_page.context.close()


def _assert_no_violations(page: Page) -> None:
    # Violations only: axe then skips building selectors for every node that passed (a fifth of a scan).
    results = _AXE.run(
        page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    )
    assert results.violations_count == 0, f"axe found violations on {page.url}:\n{results.generate_report()}"
