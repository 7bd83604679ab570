"""End-to-end harness: a live portal (web server, SAQ worker and sandbox bank as real processes, real
PostgreSQL, real SMTP capture) driven by the system Chromium, every page test once with JavaScript on
and once off.

QA can point the suite at any deployment with `--base-url https://…`; the tests that read email or run
the portal's commands then need the local stack and say so.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from playwright.sync_api import Browser, Page

from conftest import free_port
from e2e import checks
from e2e.axe import Scanner
from e2e.data import FreshCustomer
from tests.processes import stop_processes

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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--file-order",
        choices=("name", "reverse", "random"),
        default="name",
        help="run the test files by name, in reverse, or shuffled (files and the tests in each) with a seed",
    )
    parser.addoption("--file-order-seed", type=int, help="the seed of --file-order random, to replay a run")


_ORDER_SEED = pytest.StashKey[int]()


def _order_seed(config: pytest.Config) -> int:
    if _ORDER_SEED not in config.stash:
        # pytest-xdist's workers must collect the same order: they take the seed their controller drew.
        given = getattr(config, "workerinput", {}).get("file_order_seed", config.getoption("file_order_seed"))
        config.stash[_ORDER_SEED] = random.SystemRandom().randrange(10**6) if given is None else int(given)
    return config.stash[_ORDER_SEED]


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist, in the controller, for each worker it starts: the run's one seed."""
    node.workerinput["file_order_seed"] = _order_seed(node.config)


def pytest_report_header(config: pytest.Config) -> str:
    order = config.getoption("file_order")
    if order != "random":
        return f"e2e file order: {order}"
    seed = _order_seed(config)
    return f"e2e file order: random, seed {seed} (replay: --file-order random --file-order-seed {seed})"


@pytest.hookimpl(trylast=True)  # after pytest's own reordering by session-scoped parameters
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test makes its own data, so any order must pass: CI runs them shuffled to keep it so."""
    order = config.getoption("file_order")
    if order == "name":
        return
    files = sorted({item.path for item in items})
    if order == "reverse":
        rank = {path: index for index, path in enumerate(reversed(files))}
        items.sort(key=lambda item: rank[item.path])  # stable: a file's tests keep their order
        return
    shuffle = random.Random(_order_seed(config)).shuffle
    shuffle(files)
    by_file = {path: [item for item in items if item.path == path] for path in files}
    for tests in by_file.values():
        shuffle(tests)
    items[:] = [item for tests in by_file.values() for item in tests]


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if config.getoption("file_order") == "random":
        terminalreporter.write_line(f"e2e order seed: {_order_seed(config)} (--file-order-seed to replay)")


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
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def portal(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "portal.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )

    def customer(
        self,
        *,
        identity: str = "dni",
        pending: tuple[int, ...] = (1,),
        user: str | None = None,
        paper: bool = False,
    ) -> FreshCustomer:
        """A new customer of the test's own (`portal demo customer`): one account per entry of `pending`,
        that many of its latest bills unpaid; with `user`, a user of that kind."""
        args = ["demo", "customer", "--identity", identity, "--pending", ",".join(map(str, pending))]
        args += ["--user", user] if user else []
        args += ["--paper"] if paper else []
        return FreshCustomer.from_data(json.loads(self.portal(*args).stdout))

    def download_request(self, username: str, state: str, name: str) -> int:
        """A download request of the user's in a state a person cannot wait for: failed or expired; its id."""
        done = self.portal(
            "demo", "download-request", "--username", username, "--state", state, "--name", name
        )
        return int(done.stdout)

    def remove_access_to_request(self, username: str, name: str) -> None:
        """The user no longer sees the account of their download request `name`. No page removes access:
        an operator does it in the database, as this does."""

        async def remove() -> None:
            connection = await asyncpg.connect(self.env["DATABASE_URL"])
            try:
                await connection.execute(
                    "DELETE FROM account_access x USING portal_user u, download_request r, account a"
                    ' WHERE u.username = $1 AND x."user" = u.id AND r."user" = u.id AND r.name = $2'
                    " AND a.number = r.selector AND x.account = a.id",
                    username,
                    name,
                )
            finally:
                await connection.close()

        # In a thread of its own: Playwright's sync API already runs an event loop in this one.
        with ThreadPoolExecutor(1) as thread:
            thread.submit(asyncio.run, remove()).result()

    def lose_stored_file(self, key: str) -> None:
        """A stored file deleted behind the portal's back, as an operator might (the stack's storage is a
        folder: STORAGE_DIR)."""
        (Path(self.env["STORAGE_DIR"]) / key).unlink()

    def start(self) -> None:
        # No demo data: every test makes its own, so none depends on what another one changed.
        self.portal("db", "migrate")
        for name in ("serve", "worker", "sandbox-bank"):
            log = (self.log_dir / f"{name}.log").open("wb")
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "portal.cli", name], env=self.env, stdout=log, stderr=log
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

    @contextmanager
    def worker_held(self) -> Iterator[None]:
        """The worker process stopped (SIGSTOP) until the block ends: jobs enqueued meanwhile stay queued,
        so a page is certain to show them in progress."""
        worker = self.processes["worker"]
        worker.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            worker.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        # The portal's commands must stop on SIGTERM: one that had to be killed fails the run.
        if killed := stop_processes(self.processes.values()):
            names = [name for name, process in self.processes.items() if process in killed]
            raise RuntimeError(f"{', '.join(names)} did not stop within 20 s of SIGTERM; see {self.log_dir}")


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
    """For tests that read the captured email, run the portal's commands or make their own data."""
    if live_stack is None:
        pytest.skip("needs the local stack (its email or commands); not available with --base-url")
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


@pytest.fixture(scope="session")
def axe_scanner(browser: Browser) -> Iterator[Scanner]:
    scanner = Scanner(browser)
    yield scanner
    scanner.close()


@pytest.fixture
def axe(axe_scanner: Scanner, javascript: bool, page_checks: checks.PageChecks) -> Callable[[Page], None]:
    """`axe(page)` fails the test on any WCAG 2.2 AA violation of what the page shows now (and has the
    page validated and checked for reflow with the test's other pages)."""

    def check(page: Page) -> None:
        axe_scanner.assert_accessible(page, javascript=javascript)
        page_checks.record_now(page)

    return check
