"""Test session set-up shared by tests/ and e2e/: one real PostgreSQL for the whole run.

A throwaway embedded PostgreSQL (pgserver) unless TEST_DATABASE_URL names a server; in both cases the
run gets fresh databases of its own (`portal_test` for in-process tests, `portal_e2e` for the live
server), migrated before any test. DATABASE_URL is exported here, before anything imports
portal.db.piccolo_conf (Piccolo reads it on import).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from aiosmtpd.controller import Controller
from hypothesis import settings as hypothesis_settings

# No per-example time limit: these machines are shared and noisy, so hypothesis's default 200 ms deadline
# made property tests fail on load alone (a timed assertion in disguise). Examples stay bounded by count.
hypothesis_settings.register_profile("portal", deadline=None)
hypothesis_settings.load_profile("portal")

# Fixtures that start real processes (a private Redis, `portal worker` and `portal serve`).
pytest_plugins = ["tests.processes"]

_embedded_dir: Path | None = None
_s3_server: Any = None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--s3",
        action="store_true",
        help="keep generated files in a bucket of a SeaweedFS server started for the run (STORAGE_URL=s3://…)",
    )


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _recreate(admin_url: str, names: list[str]) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        for name in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _throwaway_durability(admin_url: str) -> None:
    """This server lives for one test run: it need not survive a crash, so it skips flushing to disk.
    Each test starts by truncating every table, and each TRUNCATE waits on fsync; this halves a test's
    set-up. (Never done to a server named by TEST_DATABASE_URL, which is not ours.)"""
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            await conn.execute(f"ALTER SYSTEM SET {setting} = off")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()


def _suffix(config: pytest.Config) -> str:
    # Parallel runs against one shared server (CI passes) must not drop each other's databases, nor may
    # the workers of one run (pytest-xdist's gw0, gw1, …).
    suffix = os.environ.get("TEST_DATABASE_SUFFIX", str(os.getpid()))
    worker = _xdist_worker(config)
    return f"{suffix}_{worker}" if worker else suffix


def _xdist_worker(config: pytest.Config) -> str | None:
    """This process's name among pytest-xdist's workers (gw0, gw1, …), or None when it runs tests alone."""
    workerinput = getattr(config, "workerinput", None)
    return None if workerinput is None else str(workerinput["workerid"])


def _runs_tests(config: pytest.Config) -> bool:
    """False in the controller of `pytest -n N`, which only hands tests to its workers."""
    return _xdist_worker(config) is not None or not getattr(config.option, "numprocesses", None)


def pytest_configure(config: pytest.Config) -> None:
    global _embedded_dir
    os.environ["PORTAL_ENV"] = "test"
    worker = _xdist_worker(config)
    if worker is None:
        # One SeaweedFS and one embedded PostgreSQL for the run: with `-n N`, the workers, started after
        # this with this environment, share them (each with databases and a storage prefix of its own).
        if config.getoption("s3"):
            global _s3_server
            from tests.seaweedfs import SeaweedFS

            _s3_server = SeaweedFS(Path(tempfile.mkdtemp(prefix="ptweed-", dir="/tmp"))).start()
            os.environ.update(_s3_server.environment())  # the tests' settings and the processes they start
        if not os.environ.get("TEST_DATABASE_URL"):
            from portal.db import embedded

            # Short path: the server's Unix socket lives in this folder.
            _embedded_dir = Path(tempfile.mkdtemp(prefix="ptpg-", dir="/tmp"))
            admin_url = embedded.start(_embedded_dir)
            asyncio.run(_throwaway_durability(admin_url))
            os.environ["TEST_ADMIN_DATABASE_URL"] = admin_url
    elif os.environ.get("STORAGE_URL", "").startswith("s3://"):
        os.environ["STORAGE_URL"] = f"{os.environ['STORAGE_URL'].rstrip('/')}/{worker}"
    if os.environ.get("TEST_QUEUE_URLS"):  # .ci/run's Redis pass: a database for each worker
        index = int((worker or "gw0").removeprefix("gw"))
        os.environ["QUEUE_URL"] = os.environ["TEST_QUEUE_URLS"].split()[index]
    if not _runs_tests(config):
        return
    admin_url = os.environ.get("TEST_DATABASE_URL") or os.environ["TEST_ADMIN_DATABASE_URL"]
    suffix = _suffix(config)
    names = {"DATABASE_URL": f"portal_test_{suffix}", "E2E_DATABASE_URL": f"portal_e2e_{suffix}"}
    asyncio.run(_recreate(admin_url, list(names.values())))
    for variable, name in names.items():
        os.environ[variable] = _with_database(admin_url, name)
    os.environ["TEST_ADMIN_DATABASE_URL"] = admin_url

    from portal.db.migrate import migrate

    # Piccolo prints a line a migration; a failed one raises (with its message) all the same.
    with contextlib.redirect_stdout(io.StringIO()):
        asyncio.run(migrate())


def pytest_unconfigure(config: pytest.Config) -> None:
    if _s3_server is not None:
        _s3_server.stop()
        shutil.rmtree(_s3_server.folder, ignore_errors=True)
    if _embedded_dir is not None:
        from portal.db import embedded

        embedded.stop(_embedded_dir)  # its databases with it
        shutil.rmtree(_embedded_dir, ignore_errors=True)
    elif _runs_tests(config) and os.environ.get("TEST_DATABASE_URL"):
        admin_url = os.environ["TEST_DATABASE_URL"]
        names = [urlsplit(os.environ[v]).path.lstrip("/") for v in ("DATABASE_URL", "E2E_DATABASE_URL")]

        async def drop() -> None:
            import asyncpg

            conn = await asyncpg.connect(admin_url)
            try:
                for name in names:
                    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()

        asyncio.run(drop())
    # A worker of `-n N` on the embedded server leaves its databases to the server's stop by the controller.


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    """What a real SMTP server (aiosmtpd) received."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def received(self, to: str | None = None) -> list[Message]:
        """The messages received so far (to the address `to` only, if given)."""
        return [m for m in self.messages if to is None or m["To"] == to]

    async def wait_for(self, count: int, within: float = 15, to: str | None = None) -> list[Message]:
        """With `to`, the messages to that address only: one action may email several people (a holder is
        told of an activation too), in whatever order the worker sends them."""
        async with asyncio.timeout(within):
            # The SMTP server runs in its own thread and loop: polling is the simple, safe bridge.
            while len(self.received(to)) < count:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        return self.received(to)

    def wait_for_sync(self, count: int, timeout: float = 30, to: str | None = None) -> list[Message]:
        """For sync (browser) tests: the server runs in its own thread, so sleeping here is fine. With
        `to`, the messages to that address only: on a live stack shared by a worker's tests, an email
        that an earlier test caused can arrive during the next one."""
        deadline = time.monotonic() + timeout
        while len(self.received(to)) < count:
            assert time.monotonic() < deadline, f"expected {count} email(s), got {len(self.received(to))}"
            time.sleep(0.05)
        return self.received(to)


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[Mailbox, int]) -> Mailbox:
    smtp_server[0].messages.clear()
    return smtp_server[0]
