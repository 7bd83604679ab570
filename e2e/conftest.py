"""End-to-end harness: a live portal (web server, SAQ worker and sandbox bank as real processes, real
PostgreSQL, real SMTP capture) driven by the system Chromium, every page test once with JavaScript on
and once off.

QA can point the suite at any deployment with `--base-url https://…`; the tests that read email or run
the portal's commands then need the local stack and say so.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from conftest import free_port
from e2e import checks
from e2e.axe import assert_accessible

# The checks run on every page a browser test visits, beside axe: valid HTML and reflow (e2e/checks.py).
html_validator = checks.html_validator
page_checks = checks.page_checks
pytest_runtest_call = checks.pytest_runtest_call

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


class LiveStack:
    """The processes `portal run` would start, with test settings."""

    def __init__(self, smtp_port: int, log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The sandbox bank: its own process and origin; the portal's GATEWAY_URL points at it.
        self.bank_port = free_port()
        self.bank_url = f"http://127.0.0.1:{self.bank_port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": os.environ["E2E_DATABASE_URL"],
            "PORTAL_ENV": "test",
            "PORT": str(self.port),
            "BASE_URL": self.url,
            "MAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "STORAGE_DIR": str(log_dir / "files"),
            "WORKER_CONCURRENCY": "2",
            "SANDBOX_BANK_PORT": str(self.bank_port),
            "GATEWAY_URL": f"{self.bank_url}/sis/realizarPago",
        }
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen[bytes]] = []

    def portal(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "portal.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )

    def start(self) -> None:
        self.portal("db", "migrate")
        self.portal("demo")
        for name in ("serve", "worker", "sandbox-bank"):
            log = (self.log_dir / f"{name}.log").open("wb")
            self.processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "portal.cli", name], env=self.env, stdout=log, stderr=log
                )
            )
        self._wait_ready(f"{self.url}/readyz", "the portal")
        self._wait_ready(f"{self.bank_url}/healthz", "the sandbox bank")

    def _wait_ready(self, url: str, what: str) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not become ready; see {self.log_dir}")
            time.sleep(0.2)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                raise


@pytest.fixture(scope="session")
def live_stack(
    pytestconfig: pytest.Config, smtp_server: tuple[Any, int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveStack | None]:
    if pytestconfig.getoption("base_url"):
        yield None
        return
    stack = LiveStack(smtp_server[1], tmp_path_factory.mktemp("live"))
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def base_url(pytestconfig: pytest.Config, live_stack: LiveStack | None) -> str:
    given = pytestconfig.getoption("base_url")
    return str(given).rstrip("/") if given else live_stack.url  # type: ignore[union-attr]


@pytest.fixture
def local_stack(live_stack: LiveStack | None) -> LiveStack:
    """For tests that read the captured email or run the portal's commands."""
    if live_stack is None:
        pytest.skip("needs the local stack (reads captured email); not available with --base-url")
    return live_stack


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM", "/usr/lib/chromium/chromium"),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def javascript(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any], javascript: bool) -> dict[str, Any]:
    return {**browser_context_args, "java_script_enabled": javascript, "locale": "en-GB"}


@pytest.fixture
def axe(browser: Browser, javascript: bool, page_checks: checks.PageChecks) -> Callable[[Page], None]:
    """`axe(page)` fails the test on any WCAG 2.2 AA violation of what the page shows now (and has the
    page validated and checked for reflow with the test's other pages)."""

    def check(page: Page) -> None:
        assert_accessible(page, browser=browser, javascript=javascript)
        page_checks.record_now(page)

    return check
