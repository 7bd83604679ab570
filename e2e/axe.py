"""Accessibility checks with axe-core (bundled by axe-playwright-python, runs offline).

axe runs as a script in the page, so a JavaScript-off page is checked by showing the very same HTML (at
the same address, so its styles load and contrast is measured) in a JavaScript-on page.
"""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Route

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
_AXE = Axe()


def assert_accessible(page: Page, *, browser: Browser, javascript: bool) -> None:
    # A click on a link returns once the next document is committed, which may not be parsed yet (CI once
    # scanned "<html><head></head><body></body></html>" there): judge the whole document.
    page.wait_for_load_state("load")
    if javascript:
        _assert_no_violations(page)
        return
    html = page.content()
    url = page.url
    context = browser.new_context(java_script_enabled=True, storage_state=page.context.storage_state())
    try:
        scan = context.new_page()

        def serve_snapshot(route: Route) -> None:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

        scan.route(url, serve_snapshot)
        scan.goto(url)
        _assert_no_violations(scan)
    finally:
        context.close()


def _assert_no_violations(page: Page) -> None:
    results = _AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    assert results.violations_count == 0, f"axe found violations on {page.url}:\n{results.generate_report()}"
