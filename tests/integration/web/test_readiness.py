"""/readyz tells an operator when the database has gone away."""

import dataclasses

from portal.app import create_app
from portal.settings import Settings
from tests.conftest import running


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
