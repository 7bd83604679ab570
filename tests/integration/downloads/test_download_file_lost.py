"""A ready request whose zip storage lost before its time (an operator deleted it, the bucket lost the
object, someone emptied the folder): its address, its own page and "Downloads requested" say the file
cannot be found and lead to "Request download", never "Page not found" or a 500; the operators get one
warning line per answer that found it so, with the request and the key and nothing about the customer,
and a count in the storage errors metric. Put back, the file is given again at the same address."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from prometheus_client import REGISTRY

from portal import clock
from portal.app import create_app
from portal.db.tables import DownloadRequest
from portal.downloads import archive
from portal.infra.storage import Storage
from portal.settings import Settings
from portal.templating import make_environment
from tests.conftest import running, storage_away
from tests.integration.downloads.download_steps import confirmed_request, text_of
from tests.steps import sign_in

HEADING = "This file cannot be found"
SAYS = "We cannot find the file of Ana bills.zip, so it cannot be downloaded."
IN_THE_LIST = "File not found We cannot find its file, so it cannot be downloaded."


def missing_count() -> float:
    return REGISTRY.get_sample_value("portal_storage_errors_total", {"operation": "missing"}) or 0.0


def warnings_about(caplog: pytest.LogCaptureFixture, request_id: int) -> list[dict[str, Any]]:
    """The "file missing" warning lines about this request, as the fields logged (structlog's event dicts)."""
    lines = [record.msg for record in caplog.records if record.levelname == "WARNING"]
    return [
        line
        for line in lines
        if isinstance(line, dict)
        and line["event"] == "download.file_missing"
        and line.get("download_request_id") == request_id
    ]


async def ready_request(client: Any, settings: Settings, queue: Any) -> int:
    await sign_in(client)
    request_id = await confirmed_request(client, period="last_3")
    storage = Storage(settings.storage)
    assert await archive.build(request_id, settings, storage, queue, make_environment(settings)) == "ready"
    return request_id


async def test_a_file_lost_before_its_time_is_said_so_and_reported(
    client: Any, demo: None, queue: Any, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    request_id = await ready_request(client, settings, queue)
    storage, key = Storage(settings.storage), archive.zip_key(request_id)
    zipped = await storage.read(key)
    assert zipped is not None
    await storage.delete(key)  # as an operator would, or a bucket that lost it
    caplog.clear()
    counted = missing_count()

    # Its link (the list left open, a bookmark): the file's own page, not "Page not found".
    response = await client.get(f"/downloads/{request_id}/file")
    assert response.status_code == 404
    assert "Page not found" not in response.text
    assert f"<title>{HEADING} – " in response.text and f"<h1>{HEADING}</h1>" in response.text
    assert SAYS in text_of(response.text)
    assert '<a href="/downloads/new" class="button" draggable="false">Request download</a>' in response.text
    assert '<a href="/downloads/requested">Downloads requested</a>' in response.text
    assert "Signed in as ana.demo" in response.text and response.headers["cache-control"] == "no-store"
    # One warning line for the operators: the request and the key, nothing that names the customer.
    # One warning line for the operators: the request and the key (and the line's own HTTP request id,
    # level, logger and time), nothing that names the customer.
    [line] = warnings_about(caplog, request_id)
    assert line["key"] == key
    assert set(line) == {"event", "download_request_id", "key", "request_id", "level", "logger", "timestamp"}
    assert missing_count() == counted + 1

    # The request's own page and "Downloads requested" no longer promise the file, nor link to it.
    own = text_of((await client.get(f"/downloads/{request_id}/requested")).text)
    assert "Your file is ready" not in own and SAYS in own and "Request download" in own
    listed = await client.get("/downloads/requested")
    assert IN_THE_LIST in text_of(listed.text)
    assert f"/downloads/{request_id}/file" not in listed.text
    assert len(warnings_about(caplog, request_id)) == 3 and missing_count() == counted + 3

    # Put back (from a backup, the bucket's versions): given again, at the same address.
    await storage.write(key, zipped)
    response = await client.get(f"/downloads/{request_id}/file")
    assert response.status_code == 200 and response.content == zipped
    assert "Your file is ready" in text_of((await client.get(f"/downloads/{request_id}/requested")).text)
    assert f"/downloads/{request_id}/file" in (await client.get("/downloads/requested")).text
    assert len(warnings_about(caplog, request_id)) == 3


async def test_past_its_time_a_missing_file_is_expired_and_not_reported(
    client: Any, demo: None, queue: Any, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The sweep deletes an expired file first, then marks its request: in between, nothing was lost."""
    request_id = await ready_request(client, settings, queue)
    await DownloadRequest.update({DownloadRequest.expires_at: clock.now() - dt.timedelta(minutes=1)}).where(
        DownloadRequest.id == request_id
    )
    await Storage(settings.storage).delete(archive.zip_key(request_id))
    caplog.clear()
    counted = missing_count()
    response = await client.get(f"/downloads/{request_id}/file")
    assert response.status_code == 410 and "<h1>This file has expired</h1>" in response.text
    assert warnings_about(caplog, request_id) == [] and missing_count() == counted


async def test_the_pages_answer_while_the_storage_does_not(
    demo: None, queue: Any, settings: Settings
) -> None:
    """Asking storage whether the file is there must not turn the request's pages into a 500 while
    storage is away: they say what the database says."""
    # One app at a time: each opens and closes the one database pool.
    async with running(create_app(settings)) as client:
        request_id = await ready_request(client, settings, queue)
    async with running(create_app(storage_away(settings))) as away:
        await sign_in(away)
        own = await away.get(f"/downloads/{request_id}/requested")
        listed = await away.get("/downloads/requested")
    assert own.status_code == 200 and "Your file is ready" in text_of(own.text)
    assert listed.status_code == 200 and f"/downloads/{request_id}/file" in listed.text
