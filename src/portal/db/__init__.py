"""Database: Piccolo configuration, tables and the one linear migration history, and `fetch`,
`fetch_one` and `execute` for hand-written SQL (Piccolo's query builder stays the way for single-table
CRUD). SQL is written with ``{}`` placeholders and its values go in as parameters, never into the text."""

from functools import cache
from typing import Any

import asyncpg
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString


def engine() -> PostgresEngine:
    """The configured engine (portal.db.piccolo_conf), typed: the portal runs on PostgreSQL only."""
    found = engine_finder()
    assert isinstance(found, PostgresEngine)
    return found


async def _no_session_state_to_reset(connection: asyncpg.Connection) -> None:
    """On release asyncpg always rolls back a transaction left open and drops listeners; by default it
    then sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` as well, one more round
    trip for every query (a sixth of a My bills page's time). The portal never leaves such state on a
    pooled connection: no session SET, LISTEN, session advisory lock or cursor held past its
    transaction (SAQ's queue has its own pool). tests/unit/db/test_pool_session_state.py keeps it that way."""


async def start_pool(max_size: int) -> PostgresEngine:
    """The engine's connection pool, as every portal process (web, worker) opens it."""
    db = engine()
    await db.start_connection_pool(min_size=1, max_size=max_size, reset=_no_session_state_to_reset)
    return db


@cache
def _engine() -> PostgresEngine:
    return engine()


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """The rows of hand-written SQL, as dicts; inside the current transaction (``engine().transaction()``)
    when there is one."""
    return [dict(row.items()) for row in await _engine().run_querystring(QueryString(sql, *args))]


async def fetch_one(sql: str, *args: Any) -> dict[str, Any] | None:
    """The first row, or None."""
    rows = await fetch(sql, *args)
    return rows[0] if rows else None


async def execute(sql: str, *args: Any) -> None:
    """A statement whose rows (if any) nobody reads: UPDATE, DELETE, INSERT, or a row lock."""
    await _engine().run_querystring(QueryString(sql, *args))
