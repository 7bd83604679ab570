"""/readyz tells an operator when the database, the queue or the file storage has gone away."""

import dataclasses
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from portal.app import create_app
from portal.settings import Settings
from tests.conftest import running, storage_away


async def test_readyz_is_503_when_the_queue_database_does_not_answer(db: None, settings: Settings) -> None:
    # A queue pointing at a port where nothing listens: the app starts, but is not ready.
    broken = dataclasses.replace(
        settings, queue=dataclasses.replace(settings.queue, url="redis://127.0.0.1:9/0")
    )
    async with running(create_app(broken)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert "queue: unavailable" in response.text
    assert "database: ok" in response.text


async def test_readyz_is_503_when_the_storage_does_not_answer(db: None, settings: Settings) -> None:
    # A bucket on an S3 server where nothing listens: the app starts, but is not ready.
    async with running(create_app(storage_away(settings))) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert "storage: unavailable" in response.text
    assert "database: ok" in response.text and "queue: ok" in response.text
    async with running(create_app(settings)) as client:
        assert "storage: ok" in (await client.get("/readyz")).text


@asynccontextmanager
async def database_gone(url: str) -> AsyncIterator[None]:
    """The app's database refuses connections and drops the ones it has, as when its server goes away;
    then it comes back."""
    import asyncpg

    name = urlsplit(url).path.lstrip("/")
    admin = await asyncpg.connect(os.environ["TEST_ADMIN_DATABASE_URL"])
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        yield
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()


async def test_readyz_is_503_while_the_database_does_not_answer(db: None, settings: Settings) -> None:
    assert settings.database.url is not None
    async with running(create_app(settings)) as client:
        assert (await client.get("/readyz")).status_code == 200
        async with database_gone(settings.database.url):
            response = await client.get("/readyz")
            assert response.status_code == 503
            assert "database: unavailable" in response.text
        back = await client.get("/readyz")
    assert "database: ok" in back.text
