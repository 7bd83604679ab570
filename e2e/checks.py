"""Checks the harness runs on every page a browser test visits, as it runs axe at each step.

- Valid HTML: the Nu HTML Checker (vnu.jar, `make test` installs it under .tools/) runs as one long-lived
  server for the session; each test's pages are validated once, after the test body, and any error fails
  the test.
- Reflow (WCAG 1.4.10): each page, shown again at 320 CSS pixels wide, scrolls no wider than the window,
  and its tables stacked into cards write no column name over a value; so does each address asked for
  with GET in Spanish too (its words are longer), fetched when first shown, with the test's cookies.
  The same pages scroll no wider than the window at 512 and 640 px either: a 1024 or 1280 px window
  zoomed to 200 % (WCAG 1.4.4), where My bills' table, not yet stacked, once pushed the page sideways.

A page is recorded when the browser receives a whole HTML document (a navigation, or a boosted htmx
request, whose answer is a whole page) and whenever the test calls `axe(page)` (what the page shows then,
htmx swaps included).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Response, Route

from conftest import free_port

ROOT = Path(__file__).resolve().parents[1]
VNU_JAR = Path(
    os.environ.get("VNU_JAR", ROOT / ".tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar")
)
NARROW = {"width": 320, "height": 640}
ZOOMED_WIDTHS = (512, 640)
"""1024 and 1280 px windows at 200 %: wider than the 320 px of reflow, narrower than a desktop layout."""


class HtmlValidator:
    """The Nu HTML Checker as a local web service: the JVM starts once, each page is one POST."""

    def __init__(self, log: Path) -> None:
        if not VNU_JAR.is_file():
            raise RuntimeError(
                f"The Nu HTML Checker is missing at {VNU_JAR}: run `make test` (or set VNU_JAR)"
            )
        self.port = free_port()
        self._log = log.open("wb")
        self._process = subprocess.Popen(
            ["java", "-Xmx384m", "-cp", str(VNU_JAR), "nu.validator.servlet.Main", str(self.port)],
            stdout=self._log,
            stderr=self._log,
        )
        self._wait_ready(log)

    def _wait_ready(self, log: Path) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"The Nu HTML Checker stopped; see {log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"The Nu HTML Checker did not start; see {log}")

    def errors(self, html: str) -> list[str]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/?out=json",
            data=html.encode(),
            headers={"Content-Type": "text/html; charset=utf-8"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            messages = json.load(response)["messages"]
        return [
            f"line {message.get('lastLine', '?')}: {message['message']} [{_one_line(message.get('extract'))}]"
            for message in messages
            if message["type"] in {"error", "non-document-error"}
        ]

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._log.close()


@dataclass
class PageChecks:
    """The pages one test saw, checked together when the test body is done."""

    browser: Browser
    validator: HtmlValidator
    pages: dict[str, str] = field(default_factory=dict)
    """html → the address it was shown at (one check per distinct page)."""
    in_spanish: dict[str, str] = field(default_factory=dict)
    """The pages got with GET, asked for again in Spanish: html → address (for the reflow pass)."""
    _asked_in_spanish: set[str] = field(default_factory=set)
    _fetcher: BrowserContext | None = None

    def record(self, url: str, html: str) -> None:
        self.pages.setdefault(html, url)

    def record_now(self, page: Page) -> None:
        self.record(page.url, page.content())

    def on_response(self, response: Response) -> None:
        request = response.request
        if (
            request.resource_type not in {"document", "xhr", "fetch"}
            or request.frame.parent_frame is not None
        ):
            return
        if 300 <= response.status < 400:  # a redirect has no page
            return
        if "text/html" not in response.headers.get("content-type", ""):
            return
        html = response.text()
        if html.lstrip()[:15].lower() == "<!doctype html>":
            self.record(response.url, html)
            if request.method == "GET" and '<html lang="es">' not in html:
                self._record_in_spanish(response.url, request.frame.page.context)

    def _record_in_spanish(self, url: str, shown_in: BrowserContext) -> None:
        """The page at `url` asked for again at once, in Spanish, with the test's cookies (so signed in as
        the test is), from a context of its own: nothing the answer sets reaches the test. Once an address
        a test: the English pass sees each state of a page, the Spanish one its longer words."""
        if url in self._asked_in_spanish:
            return
        self._asked_in_spanish.add(url)
        if self._fetcher is None:
            self._fetcher = self.browser.new_context()
        # The switcher's cookie, as `portal.web.language` names it (`__Host-` only over https).
        language = "__Host-language" if url.startswith("https:") else "language"
        self._fetcher.clear_cookies()
        self._fetcher.add_cookies(
            [cookie for cookie in shown_in.cookies() if cookie["name"] != language]
            + [{"name": language, "value": "es", "url": url, "secure": url.startswith("https:")}]
        )
        answer = self._fetcher.request.get(url, headers={"Accept-Language": "es"}, max_redirects=0)
        html = answer.text() if answer.ok else ""
        if '<html lang="es">' in html:  # a user who chose English keeps it: nothing to add then
            self.in_spanish.setdefault(html, url)
        answer.dispose()

    def close(self) -> None:
        if self._fetcher is not None:
            self._fetcher.close()

    def problems(self) -> list[str]:
        found = []
        for html, url in self.pages.items():
            found += [f"{url}: invalid HTML, {error}" for error in self.validator.errors(html)]
        found += self._reflow_problems()
        return found

    def _reflow_problems(self) -> list[str]:
        """Each page shown again, as the browser received it, in a 320 px wide window without scripts."""
        found = []
        context = self.browser.new_context(viewport=NARROW, java_script_enabled=False)
        try:
            narrow = context.new_page()
            shown = [(html, url, url) for html, url in self.pages.items()]
            shown += [(html, url, f"{url} in Spanish") for html, url in self.in_spanish.items()]
            for html, url, name in shown:
                if _origin(narrow.url) == _origin(url):
                    # The page's own stylesheet, already loaded from this origin (the portal's pages link
                    # theirs by absolute path): writing the page in takes a fifth of a navigation's time.
                    narrow.set_content(html)
                else:
                    narrow.route(url, _serving(html))
                    narrow.goto(url)
                    narrow.unroute(url)
                width = narrow.evaluate("document.documentElement.scrollWidth")
                if width > NARROW["width"]:
                    found.append(
                        f"{name}: {width} px wide in a {NARROW['width']} px window (reflow, WCAG 1.4.10)"
                    )
                found += [
                    f"{name}: {cell} (reflow, WCAG 1.4.10)" for cell in narrow.evaluate(_LABELS_OVER_VALUES)
                ]
                for zoomed in ZOOMED_WIDTHS:
                    narrow.set_viewport_size({"width": zoomed, "height": NARROW["height"]})
                    width = narrow.evaluate("document.documentElement.scrollWidth")
                    if width > zoomed:
                        found.append(
                            f"{name}: {width} px wide in a {zoomed} px window (200 % zoom, WCAG 1.4.4)"
                        )
                narrow.set_viewport_size(NARROW)
        finally:
            context.close()
        return found


# A table stacked into cards on a narrow screen writes each cell's column name (data-label) beside its
# value: the value must start to the right of the label, not under it.
_LABELS_OVER_VALUES = """
() => [...document.querySelectorAll(".table--stacking td[data-label]")].flatMap(cell => {
  const label = getComputedStyle(cell, "::before");
  const value = document.createRange();
  value.selectNodeContents(cell);
  const box = value.getBoundingClientRect();
  if (label.content === "none" || box.width === 0) return [];
  const labelRight = cell.getBoundingClientRect().left + parseFloat(label.width);
  return box.left < labelRight - 1
    ? [`"${cell.dataset.label}" is written over "${cell.innerText.trim().slice(0, 30)}"`]
    : [];
})
"""


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _serving(html: str) -> Callable[[Route], None]:
    def serve(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

    return serve


@pytest.fixture(scope="session")
def html_validator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HtmlValidator]:
    validator = HtmlValidator(tmp_path_factory.mktemp("vnu") / "vnu.log")
    yield validator
    validator.stop()


@pytest.fixture(autouse=True)
def page_checks(request: pytest.FixtureRequest) -> Iterator[PageChecks | None]:
    """Records every page of a browser test; `pytest_runtest_call` below checks them."""
    if "page" not in request.fixturenames:
        yield None
        return
    page: Page = request.getfixturevalue("page")
    checks = PageChecks(request.getfixturevalue("browser"), request.getfixturevalue("html_validator"))
    page.on("response", checks.on_response)
    yield checks
    checks.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """After a test body that passed, its pages must be valid HTML and reflow at 320 px (and fit at 200 %
    zoom): part of the test, so a problem fails the test itself."""
    result = yield
    checks = getattr(item, "funcargs", {}).get("page_checks")
    if checks is not None:
        problems = checks.problems()
        assert not problems, "\n".join(problems)
    return result
