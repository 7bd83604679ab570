"""A database connection that dies in the middle of a read-only request: the request is answered, on a
fresh connection, instead of with a 500. A real PostgreSQL server terminates the connection."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.conftest import other_transaction
from tests.steps import sign_in


async def test_my_bills_survives_its_connection_being_terminated(client: Any, demo: None) -> None:
    await sign_in(client)
    async with other_transaction() as holder:
        # Hold the bills still, so that the page's query waits on them: its backend is then known, and is
        # terminated while it serves the request.
        await holder.execute("LOCK TABLE bill IN ACCESS EXCLUSIVE MODE")
        page = asyncio.create_task(client.get("/bills"))
        await holder.ends_the_blocked()
    response = await page
    assert response.status_code == 200
    assert "My bills" in response.text and "FA0000000102" in response.text  # Ana's bills
