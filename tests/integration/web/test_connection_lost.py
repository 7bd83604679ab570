"""A database connection that dies in the middle of a read-only request: the request is answered, on a
fresh connection, instead of with a 500. A real PostgreSQL server terminates the connection."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import asyncpg

from tests.conftest import backend_waiting_on_a_lock, wait_until
from tests.steps import sign_in


async def test_my_bills_survives_its_connection_being_terminated(client: Any, demo: None) -> None:
    await sign_in(client)
    admin = await asyncpg.connect(os.environ["TEST_ADMIN_DATABASE_URL"])
    holder = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        # Hold the bills still, so that the page's query waits on them: its backend is then known, and is
        # terminated while it serves the request.
        transaction = holder.transaction()
        await transaction.start()
        await holder.execute("LOCK TABLE bill IN ACCESS EXCLUSIVE MODE")
        page = asyncio.create_task(client.get("/bills"))
        pid = await wait_until(lambda: backend_waiting_on_a_lock(admin, holder))
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        await transaction.rollback()
        response = await page
    finally:
        await holder.close()
        await admin.close()
    assert response.status_code == 200
    assert "My bills" in response.text and "FA0000000102" in response.text  # Ana's bills
