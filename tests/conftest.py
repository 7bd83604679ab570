"""Fixtures for in-process tests: settings, a clean database, the queue, a real SAQ worker, a real SMTP
server and an HTTP client on the real app."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
from saq.queue.postgres import PostgresQueue

from portal.settings import Settings

TABLES = "audit_event, outbox_email, web_session, account_access, portal_user, bill, account, customer"


@pytest.fixture(scope="session")
def settings(smtp_server: tuple[Any, int]) -> Settings:
    base = Settings.from_env()
    return dataclasses.replace(
        base, mail=dataclasses.replace(base.mail, url=f"smtp://127.0.0.1:{smtp_server[1]}")
    )


@pytest.fixture
async def db() -> AsyncIterator[None]:
    """An empty, migrated database for each test. (No pool here: the app under test opens and closes
    its own in its lifespan; outside it Piccolo connects per query.)"""
    from piccolo.engine import engine_finder

    engine = engine_finder()
    assert engine is not None
    await engine.run_ddl(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
    yield


@pytest.fixture
async def queue(db: None, settings: Settings) -> AsyncIterator[Any]:
    from portal.infra.queue import make_queue

    q = make_queue(settings, max_connections=4)
    await q.connect()
    # Jobs left by an earlier test (same keys: ids restart) must not run in this one.
    if isinstance(q, PostgresQueue):
        async with q.pool.connection() as conn:
            await conn.execute("DELETE FROM saq_jobs")
    else:
        await q.redis.flushdb()
    yield q
    await q.disconnect()


@pytest.fixture
async def worker(queue: Any, settings: Settings) -> AsyncIterator[Any]:
    """A real SAQ worker processing the real tasks, in this event loop."""
    from jobs.settings import make_worker

    w = make_worker(settings, queue)
    w.SIGNALS = []  # the test runner keeps its own signal handlers
    task = asyncio.create_task(w.start())
    yield w
    await w.stop()
    task.cancel()


@pytest.fixture
async def client(db: None, settings: Settings) -> AsyncIterator[Any]:
    """The real app, its lifespan run, over an in-process HTTP client."""
    from litestar.testing import AsyncTestClient

    from portal.app import create_app

    async with AsyncTestClient(app=create_app(settings), base_url="http://127.0.0.1:8000") as test_client:
        yield test_client
