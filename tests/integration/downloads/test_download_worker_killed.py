"""A worker killed with SIGKILL in the middle of a zip: once a new worker starts, the request completes
with exactly one zip and exactly one email. Real worker processes (`portal worker`), a real SMTP server.

How it recovers: the zip job's heartbeat stops with the dead worker; the new worker's sweep finds the job
stuck, aborts it and queues it again (SAQ retries with backoff); the retry starts the zip again as a new
multipart upload (the dead one's was never completed, so no part of it is seen), keeps the PDFs rendered
before the crash, and stores the email once (outbox dedupe key)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import io
import os
import signal
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from saq.job import Status

from portal.db.tables import DownloadRequest, OutboxEmail
from portal.downloads.archive import job_key, zip_key
from portal.infra.storage import Storage
from portal.settings import DownloadSettings, Settings
from tests.conftest import (
    all_mail_sent,
    running,
    stored_keys,
    submit,
    wait_until,
)
from tests.integration.downloads.download_steps import bills_in_period, request_until_check
from tests.processes import stop_processes, storage_env
from tests.steps import sign_in

HEARTBEAT = 10


@pytest.fixture
def workers(tmp_path: Path, settings: Settings, smtp_server: tuple[Any, int]) -> Iterator[Any]:
    """Start `portal worker` processes on this test's database, storage and SMTP server."""
    env = {
        **os.environ,
        "PORTAL_ENV": "test",
        **storage_env(settings.storage),
        "MAIL_URL": f"smtp://127.0.0.1:{smtp_server[1]}",
        "WORKER_CONCURRENCY": "2",
        "DOWNLOAD_HEARTBEAT_SECONDS": str(HEARTBEAT),
    }
    started: list[subprocess.Popen[bytes]] = []

    def start(name: str) -> subprocess.Popen[bytes]:
        if "FAKETIME" in env:
            # Under `faketime -f @…` every process's clock starts at that instant when the process starts:
            # start the worker's at this process's time instead, or the jobs queued here would look
            # scheduled in its future (SAQ stamps them with the enqueuer's clock).
            env["FAKETIME"] = f"@{dt.datetime.now():%Y-%m-%d %H:%M:%S}"
        log = (tmp_path / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "portal.cli", "worker"], env=env, stdout=log, stderr=log
        )
        started.append(process)
        return process

    yield start
    stop_processes(started)


async def test_a_killed_worker_leaves_one_zip_and_one_email(
    db: None, demo: None, queue: Any, settings: Settings, tmp_path: Path, workers: Any, mailbox: Any
) -> None:
    from portal.app import create_app

    # The storage is empty (the `db` fixture): every PDF has to be rendered, so the zip takes a while.
    storage = Storage(settings.storage)
    test_settings = dataclasses.replace(settings, downloads=DownloadSettings(heartbeat_seconds=HEARTBEAT))
    async with running(create_app(test_settings)) as client:
        await sign_in(client)
        request_id = await request_until_check(client)  # Ana's bills of the last 12 months
        expected = await bills_in_period()
        assert (await submit(client, f"/downloads/{request_id}/confirm")).status_code == 303

    first = workers("worker-1")
    async with asyncio.timeout(120):
        while True:  # kill it once the zip is under way: some bills in, not all
            row = await DownloadRequest.select().where(DownloadRequest.id == request_id).first()
            if row["state"] == "preparing" and row["done"] > 0:
                break
            assert first.poll() is None, (tmp_path / "worker-1.log").read_text()
            await asyncio.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    row = await DownloadRequest.select().where(DownloadRequest.id == request_id).first()
    assert row["state"] == "preparing" and 0 < row["done"] < expected
    assert await stored_keys(storage, "downloads/") == []  # half-made: nothing shows
    assert mailbox.messages == []

    workers("worker-2")
    [message] = await mailbox.wait_for(1, within=150)
    assert "ready" in message["Subject"]
    row = await DownloadRequest.select().where(DownloadRequest.id == request_id).first()
    assert row["state"] == "ready" and row["done"] == expected and row["attempts"] == 2
    # Nothing else can arrive once the zip job is complete (no attempt left to run) and every message in
    # the outbox is sent (a second email would be a second row, or this one sent again).

    async def zip_job_complete() -> bool:
        job = await queue.job(job_key(request_id))
        return job is not None and job.status == Status.COMPLETE

    await wait_until(zip_job_complete)
    assert await all_mail_sent() == 1
    assert len(mailbox.messages) == 1
    assert await OutboxEmail.count().where(OutboxEmail.template == "download_ready") == 1
    assert await stored_keys(storage, "downloads/") == [zip_key(request_id)]
    stored = await storage.read(zip_key(request_id))
    assert stored is not None
    with zipfile.ZipFile(io.BytesIO(stored)) as archive:
        assert archive.testzip() is None
        assert len([name for name in archive.namelist() if name.endswith(".pdf")]) == expected
