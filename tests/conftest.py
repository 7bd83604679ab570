"""Fixtures for in-process tests: settings, a clean database, the queue, a real SAQ worker, a real SMTP
server and an HTTP client on the real app."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import io
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
import obstore
import pytest
from litestar import Litestar
from litestar.types import ASGIApp
from saq.queue.postgres import PostgresQueue

from conftest import free_port
from portal import clock
from portal.db.tables import TABLES, OutboxEmail
from portal.infra.storage import Storage
from portal.settings import Settings


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[dt.datetime]:
    """The portal's clock stands still during each test, at the instant the test starts. So a test that
    loads the demo (dated from "today") and then asks for "the last 12 months" sees one date throughout,
    even when it runs across midnight; each test still starts on the real (or faketime's) date, so the
    suite tries whatever calendar it runs on. The database, SAQ and worker subprocesses keep real time."""
    start = dt.datetime.now(dt.UTC)
    with clock.frozen_at(start):
        yield start


@pytest.fixture(scope="session")
def settings(smtp_server: tuple[Any, int], tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Test settings: mail to the real SMTP capture, generated files in a folder of this run."""
    base = Settings.from_env()
    storage = base.storage
    if not storage.is_s3:  # `pytest --s3` (or STORAGE_URL=s3://…) keeps them in a bucket of the run's
        storage = dataclasses.replace(storage, url=f"file:{tmp_path_factory.mktemp('files')}")
    return dataclasses.replace(
        base, mail=dataclasses.replace(base.mail, url=f"smtp://127.0.0.1:{smtp_server[1]}"), storage=storage
    )


def storage_away(settings: Settings) -> Settings:
    """The settings with a bucket on an S3 server where nothing listens: storage that does not answer."""
    nowhere = dataclasses.replace(
        settings.storage,
        url="s3://portal-files",
        s3_endpoint=f"http://127.0.0.1:{free_port()}",
        s3_access_key_id="portal",
        s3_secret_access_key="portal-secret",
        s3_allow_http=True,
    )
    return dataclasses.replace(settings, storage=nowhere)


async def stored_keys(storage: Storage, prefix: str) -> list[str]:
    """The keys of the stored files under `prefix` (e.g. "downloads/"), sorted."""
    return sorted([meta["path"] async for batch in obstore.list(storage.store, prefix) for meta in batch])


async def empty_storage(storage: Storage) -> None:
    """Delete every stored file (a test's own storage)."""
    async for batch in obstore.list(storage.store):
        await obstore.delete_async(storage.store, [meta["path"] for meta in batch])


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[None]:
    """An empty, migrated database and an empty file storage for each test. (No pool here: the app
    under test opens and closes its own in its lifespan; outside it Piccolo connects per query.)"""
    import asyncpg

    # Stored files are named by bill number, the same in every test's demo data: none may carry over.
    await empty_storage(Storage(settings.storage))

    # DELETE and sequences restarted, not TRUNCATE: a test leaves a few rows, and TRUNCATE gives each of
    # the ~20 tables and their indexes new files and waits for them on disk (≈ 75 ms against 10 ms).
    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        async with conn.transaction():
            # Every row goes, so the foreign keys need no checking (replica mode): any order will do.
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute("SET LOCAL synchronous_commit = off")  # a test's leftovers need not survive
            # Every table, new ones included, and ids from 1 again as in a new database: one round trip.
            sequences = await _id_sequences(conn)
            await conn.execute(
                ";".join(
                    [f"DELETE FROM {name}" for name in sequences]
                    + [f"ALTER SEQUENCE {sequence} RESTART" for sequence in sequences.values() if sequence]
                )
            )
    finally:
        await conn.close()
    yield


async def _id_sequences(conn: Any) -> dict[str, str | None]:
    """Each table's name and the sequence of its `id` column (None if it has none), in TABLES' order."""
    names = [table._meta.tablename for table in TABLES]
    rows = await conn.fetch(
        "SELECT name, pg_get_serial_sequence(name, 'id') AS sequence"
        " FROM unnest($1::text[]) WITH ORDINALITY AS t(name, position) ORDER BY position",
        names,
    )
    return {row["name"]: row["sequence"] for row in rows}


REDIS_CLAIM_KEY = "portal-ci:run"  # the same name in .ci/redis_db.py


@pytest.fixture
async def queue(db: None, settings: Settings) -> AsyncIterator[Any]:
    from portal.infra.queue import Outage, make_queue

    q = make_queue(settings, max_connections=4, outage=Outage())  # the worker fixture's queue too
    await q.connect()
    # Jobs left by an earlier test (same keys: ids restart) must not run in this one.
    if isinstance(q, PostgresQueue):
        async with q.pool.connection() as conn:
            await conn.execute("DELETE FROM saq_jobs")
    else:
        # .ci/run claims Redis databases for its run (.ci/redis_db.py): empty this one but keep the claim, and
        # never empty a database that another run holds.
        holder = await q.redis.get(REDIS_CLAIM_KEY)
        if holder is not None and holder.decode() != os.environ.get("REDIS_CLAIM_ID"):
            pytest.fail(f"The Redis database of QUEUE_URL is held by run {holder.decode()}, not this one")
        stale = [key async for key in q.redis.scan_iter() if key != REDIS_CLAIM_KEY.encode()]
        if stale:
            await q.redis.delete(*stale)
    yield q
    await q.disconnect()


# A worker's stop waits for its upkeep loops to wake from their naps (5 s in production): short naps here
# stop it in a fraction of a second instead, after each of the many tests that use one.
TEST_WORKER_TIMERS = {"schedule": 0.2, "sweep": 0.2, "abort": 0.2, "worker_info": 0.2}


@pytest.fixture
async def worker(queue: Any, settings: Settings) -> AsyncIterator[Any]:
    """A real SAQ worker processing the real tasks, in this event loop."""
    from jobs.settings import make_worker

    w = make_worker(settings, queue, timers=TEST_WORKER_TIMERS, dequeue_timeout=0.2)
    w.SIGNALS = []  # the test runner keeps its own signal handlers
    task = asyncio.create_task(w.start())

    async def started() -> bool:
        return "templates" in w.context  # set by its start-up, which connects the queue first

    # Its start-up sets process-wide state, as a worker process's does (the default language, among
    # others): over before the test begins, not halfway through a test that sets its own.
    await wait_until(started)
    yield w
    await w.stop()
    task.cancel()


@asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and talk to it over HTTP, all in the test's event loop (Litestar's test
    clients run the lifespan in a thread of their own, where the database pool would then live)."""
    started, stopping = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        # Entered and left in one task: the lifespan's task group (anyio) insists on it.
        async with app.lifespan():
            started.set()
            await stopping.wait()

    task = asyncio.create_task(lifespan())
    await started.wait()
    try:
        async with browser(app) as http:
            yield http
    finally:
        stopping.set()
        await task


@asynccontextmanager
async def served(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """The app served by uvicorn (as `portal serve` serves it), lifespan included, in the test's event
    loop, and a client on a real connection to it. Unlike `running`'s transport, which answers only when
    the app has returned, uvicorn sends each answer as the app writes it: the client has it before the
    app's work after the answer (a response's `background`) is done."""
    import socket

    import uvicorn

    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
        serving = asyncio.create_task(server.serve(sockets=[listening]))

        async def started() -> bool:
            if serving.done():
                serving.result()  # it failed to start: say why
            return server.started

        await wait_until(started)
        try:
            port = listening.getsockname()[1]
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
                yield http
        finally:
            server.should_exit = True
            await serving


class _CheckedPages(httpx.ASGITransport):  # noqa: TID251 (the one place that may use it)
    """The app reached as by a browser, every HTML page it answers looked at on the way: an error summary
    whose link leads nowhere fails the test that met it, whichever page and test that is."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        from tests.steps import error_links_nowhere  # here: tests.steps imports this module

        response = await super().handle_async_request(request)
        if not response.headers.get("content-type", "").startswith("text/html"):
            return response
        await response.aread()
        dead = error_links_nowhere(response.text)
        assert not dead, f"{request.method} {request.url.path}: the error summary links to no #{dead}"
        # Read once here, the page goes on to the client as it came.
        return httpx.Response(response.status_code, headers=response.headers, content=response.content)


def browser(app: ASGIApp, ip: str = "203.0.113.10") -> httpx.AsyncClient:
    """A browser at a client address, talking to an app whose lifespan runs (`running` starts it, with a
    browser at 203.0.113.10; another address is another browser, e.g. for throttles). Every in-process
    test reaches the app through one of these (`app` may be the app wrapped, as by uvicorn's proxy
    headers middleware)."""
    return httpx.AsyncClient(
        transport=_CheckedPages(app=app, client=(ip, 50000)), base_url="http://127.0.0.1:8000"
    )


@pytest.fixture
def app(db: None, settings: Settings) -> Litestar:
    from portal.app import create_app

    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """The real app over HTTP."""
    async with running(app) as http:
        yield http


T = TypeVar("T")


async def wait_until(condition: Callable[[], Awaitable[T]], *, within: float = 30, every: float = 0.05) -> T:
    """Poll `condition` until it returns something true, and return that; fail after `within` seconds.
    For events in the database or another process, which cannot wake this event loop."""
    async with asyncio.timeout(within):
        while not (result := await condition()):  # noqa: ASYNC110
            await asyncio.sleep(every)
    return result


@pytest.fixture
async def unmigrated() -> AsyncIterator[str]:
    """A new, empty database on the tests' server: what a release's first run meets, or an older one's."""
    admin_url = os.environ["TEST_ADMIN_DATABASE_URL"]
    name = f"portal_unmigrated_{os.getpid()}"
    import asyncpg

    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


class OtherTransaction:
    """A transaction of another connection to the test database, as another request or the billing import
    would hold it; `blocks_another()` waits until some connection (the request under test) waits on it."""

    def __init__(self, connection: Any, admin: Any) -> None:
        self.connection = connection
        self.admin = admin  # may read every connection's state, and end one

    async def execute(self, sql: str, *args: Any) -> None:
        await self.connection.execute(sql, *args)

    async def ends_the_blocked(self, within: float = 30) -> None:
        """End the connection that waits on this transaction's lock, as a server or network failure would
        end the connection of the request under test."""
        pid = await self.blocks_another(within)
        assert await self.admin.fetchval("SELECT pg_terminate_backend($1)", pid)

    async def blocks_another(self, within: float = 30) -> int:
        """The process id of the connection that waits on a lock (this transaction's, presumably)."""
        return (await self.blocks(1, within))[0]

    async def blocks(self, count: int, within: float = 30) -> list[int]:
        """The process ids of `count` connections waiting on a lock, once that many wait."""
        database = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/")

        async def waiting() -> list[int] | None:
            pids = await self.admin.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'"
                " AND pid <> $2",
                database,
                self.connection.get_server_pid(),
            )
            return [row["pid"] for row in pids] if len(pids) >= count else None

        return await wait_until(waiting, within=within)


@asynccontextmanager
async def other_transaction() -> AsyncIterator[OtherTransaction]:
    """A transaction on a connection of its own, committed when the block ends (rolled back if it fails)."""
    import asyncpg

    admin = await asyncpg.connect(os.environ["TEST_ADMIN_DATABASE_URL"])
    connection = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        async with connection.transaction():
            yield OtherTransaction(connection, admin)
    finally:
        await connection.close()
        await admin.close()


async def all_mail_sent(within: float = 30) -> int:
    """Wait until the outbox has no unsent message; return how many it holds. Every email goes through the
    outbox and is marked sent once the SMTP server took it, so then no other message is on its way."""

    async def nothing_unsent() -> bool:
        return await OutboxEmail.count().where(OutboxEmail.sent_at.is_null()) == 0

    await wait_until(nothing_unsent, within=within)
    return await OutboxEmail.count()


def pdf_ready(client: httpx.AsyncClient, status_path: str) -> Callable[[], Awaitable[Any]]:
    """For `wait_until`: poll a PDF's status as its page does; "286" (htmx: stop polling) means ready."""

    async def ready() -> Any:
        status = await client.get(status_path)
        assert status.status_code in {204, 286}  # 204: not yet, nothing to swap
        return status if status.status_code == 286 else None

    return ready


CSRF_IN_PAGE = re.compile(r'name="_csrf_token" value="([^"]+)"|"x-csrftoken": "([^"]+)"')


async def csrf_token(client: Any) -> str:
    """The CSRF token a page gives this client (its cookie is kept by the client)."""
    page = await client.get("/privacy")  # a page in both states, signed in or not
    match = CSRF_IN_PAGE.search(page.text)
    assert match is not None
    return match.group(1) or match.group(2)


async def submit(client: Any, path: str, data: dict[str, str] | None = None, **kwargs: Any) -> Any:
    """POST a form as a browser does, CSRF token included, without following the redirect."""
    form = {"_csrf_token": await csrf_token(client), **(data or {})}
    return await client.post(path, data=form, follow_redirects=False, **kwargs)


# The demo as loaded once per run (and per date: it is dated from "today"), table by table in PostgreSQL's
# binary COPY format, with each table's sequence. Loading it goes through the importer and hashes two
# passwords (about a second); copying it back takes a few milliseconds, for the ~140 tests that start
# from it. What it holds is what `load_demo` wrote: tests/integration/demo tests `load_demo` itself.
_demo_copies: dict[dt.date, list[tuple[str, bytes, int | None]]] = {}


async def _copy_out(conn: Any) -> list[tuple[str, bytes, int | None]]:
    copies = []
    for name, sequence in (await _id_sequences(conn)).items():
        rows = io.BytesIO()
        await conn.copy_from_table(name, output=rows, format="binary")
        last = await conn.fetchval(f"SELECT last_value FROM {sequence} WHERE is_called") if sequence else None
        copies.append((name, rows.getvalue(), last))
    return copies


async def _copy_in(conn: Any, copies: list[tuple[str, bytes, int | None]]) -> None:
    async with conn.transaction():
        # Foreign keys are checked by the load that made these rows; replica mode skips them here, so the
        # tables can go back in any order.
        await conn.execute("SET LOCAL session_replication_role = replica")
        for name, rows, last in copies:
            await conn.copy_to_table(name, source=io.BytesIO(rows), format="binary")
            if last is not None:
                await conn.execute("SELECT setval(pg_get_serial_sequence($1, 'id'), $2)", name, last)


@pytest.fixture
async def demo(db: None, settings: Settings) -> None:
    """The deterministic demo data (customers, accounts, bills, the two demo users), as `load_demo`
    writes it for today's date."""
    import asyncpg

    from portal.demo.load import load_demo

    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        today = clock.today()
        if today in _demo_copies:
            await _copy_in(conn, _demo_copies[today])
        else:
            await load_demo(settings)
            _demo_copies[today] = await _copy_out(conn)
    finally:
        await conn.close()
