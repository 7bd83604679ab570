"""The portal as a cluster, in real processes: two `portal serve` and two `portal worker` on one PostgreSQL
(this run's database), one queue (Redis in CI's queue pass, where QUEUE_URL names this run's Redis
database; the Postgres queue otherwise) and one S3 bucket (SeaweedFS), with a real SMTP server.

A session made on web A is good on web B; a PDF asked for on A is served by B; a massive download
confirmed on B survives the SIGKILL of the worker that builds its zip (the other one finishes it) and is
downloaded from A, with one email. Nothing is written to a local storage folder."""

from __future__ import annotations

import dataclasses
import io
import signal
import subprocess
import zipfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from saq.job import Status

from conftest import free_port
from portal.db.tables import DownloadRequest, OutboxEmail
from portal.downloads.archive import job_key
from portal.settings import Settings
from tests.conftest import all_mail_sent, pdf_ready, submit, wait_until
from tests.integration.bills.test_bill_files import ana_bill
from tests.integration.downloads.download_steps import bills_in_period, request_until_check
from tests.processes import Portal, real_clock_portal_environment, storage_env
from tests.seaweedfs import SeaweedFS
from tests.steps import sign_in

HEARTBEAT = 10
"""DOWNLOAD_HEARTBEAT_SECONDS: how long a zip job of a dead worker goes unnoticed."""


@pytest.fixture
def bucket(settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """The run's settings with a bucket of their own (the run's, under `pytest --s3`)."""
    if settings.storage.is_s3:
        yield settings
        return
    with SeaweedFS(tmp_path / "seaweedfs") as server:
        env = server.environment()
        storage = dataclasses.replace(
            settings.storage,
            url=env["STORAGE_URL"],
            s3_endpoint=env["AWS_ENDPOINT_URL"],
            s3_region=env["AWS_REGION"],
            s3_access_key_id=env["AWS_ACCESS_KEY_ID"],
            s3_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            s3_allow_http=True,
        )
        yield dataclasses.replace(settings, storage=storage)


class Cluster(Portal):
    """The cluster's `portal` processes, by name. They run on the real clock (an S3 server checks each
    request's time against its own), with the test's date as PORTAL_NOW under faketime."""

    def __init__(self, settings: Settings, smtp_port: int, folder: Path) -> None:
        self.local_storage = folder / "local-files"  # STORAGE_URL wins: nothing may appear here
        assert settings.database.url is not None
        inherited = real_clock_portal_environment()
        super().__init__(
            folder,
            {
                **{k: v for k, v in inherited.items() if k not in {"PICCOLO_CONF", "QUEUE_URL"}},
                **storage_env(settings.storage),
                "PORTAL_ENV": "test",
                "DATABASE_URL": settings.database.url,
                "MAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
                "STORAGE_DIR": str(self.local_storage),
                "WORKER_CONCURRENCY": "2",
                "DOWNLOAD_HEARTBEAT_SECONDS": str(HEARTBEAT),
                **({"QUEUE_URL": settings.queue.url} if settings.queue.url else {}),
            },
        )
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *command: str, **env: str) -> subprocess.Popen[bytes]:
        process = self.processes[name] = super().start(name, *command, **env)
        return process

    def web(self, name: str) -> str:
        port = free_port()
        self.start(name, "serve", PORT=str(port), BASE_URL=f"http://127.0.0.1:{port}")
        return f"http://127.0.0.1:{port}"

    def assert_running(self) -> None:
        for name, process in self.processes.items():
            assert process.poll() is None or process.returncode == -signal.SIGKILL, self.log(name)


@pytest.fixture
def cluster(bucket: Settings, smtp_server: tuple[Any, int], tmp_path: Path) -> Iterator[Cluster]:
    cluster = Cluster(bucket, smtp_server[1], tmp_path)
    yield cluster
    cluster.stop()


async def ready(client: httpx.AsyncClient, cluster: Cluster) -> None:
    """Wait until the web process answers /readyz with everything ok: database, queue and storage."""

    async def answers() -> bool:
        cluster.assert_running()
        try:
            response = await client.get("/readyz")
        except httpx.TransportError:
            return False
        return response.text == "database: ok\nqueue: ok\nstorage: ok\n"

    await wait_until(answers, within=60, every=0.2)


@pytest.fixture
async def webs(cluster: Cluster) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Web A and web B, each with its HTTP client."""
    async with (
        httpx.AsyncClient(base_url=cluster.web("web-a"), timeout=30) as a,
        httpx.AsyncClient(base_url=cluster.web("web-b"), timeout=30) as b,
    ):
        await ready(a, cluster)
        await ready(b, cluster)
        yield a, b


async def test_two_webs_and_two_workers_share_sessions_files_and_jobs(
    demo: None,
    queue: Any,
    bucket: Settings,
    cluster: Cluster,
    webs: tuple[httpx.AsyncClient, httpx.AsyncClient],
    mailbox: Any,
) -> None:
    a, b = webs
    workers = {name: cluster.start(name, "worker") for name in ("worker-1", "worker-2")}

    # Signed in on A, asked for a bill's PDF on A (a worker renders it), received from B.
    await sign_in(a)
    b.cookies = a.cookies  # the session cookie from A goes to B, as one browser's would
    bill = await ana_bill()
    asked = await a.get(f"/bills/{bill['id']}/pdf")
    assert asked.status_code == 200 and "Your PDF is being prepared" in asked.text
    await wait_until(pdf_ready(b, f"/bills/{bill['id']}/pdf/status"), within=120, every=0.2)
    pdf = await b.get(f"/bills/{bill['id']}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    # The worker stored it in the bucket (nothing local, checked at the end): A serves the same bytes.
    assert (
        pdf.content.startswith(b"%PDF") and pdf.content == (await a.get(f"/bills/{bill['id']}/pdf")).content
    )

    # A massive download confirmed on B; the worker that builds its zip is killed mid-way.
    request_id = await request_until_check(b)  # Ana's bills of the last 12 months
    expected = await bills_in_period()
    assert (await submit(b, f"/downloads/{request_id}/confirm")).status_code == 303
    holder = await _zip_holder(queue, request_id, workers, cluster.assert_running)
    workers[holder].send_signal(signal.SIGKILL)
    workers[holder].wait(timeout=10)
    row = await DownloadRequest.select().where(DownloadRequest.id == request_id).first()
    assert row["state"] == "preparing" and row["done"] < expected
    assert mailbox.messages == []

    # The other worker finishes it (once the dead one's heartbeat is overdue), and A serves it.
    [message] = await mailbox.wait_for(1, within=240)
    assert "ready" in message["Subject"]

    async def zip_job_complete() -> Any:
        job = await queue.job(job_key(request_id))
        return job if job is not None and job.status == Status.COMPLETE else None

    job = await wait_until(zip_job_complete, within=60)
    [survivor] = [process for name, process in workers.items() if name != holder]
    assert f"-{survivor.pid}-" in job.worker_id
    row = await DownloadRequest.select().where(DownloadRequest.id == request_id).first()
    assert row["state"] == "ready" and row["done"] == expected and row["attempts"] == 2
    response = await a.get(f"/downloads/{request_id}/file")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert response.headers["cache-control"] == "no-store"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.testzip() is None
        assert len([name for name in archive.namelist() if name.endswith(".pdf")]) == expected

    # Exactly one email: every message in the outbox is sent, and there is one.
    assert await all_mail_sent() == 1
    assert len(mailbox.messages) == 1
    assert await OutboxEmail.count().where(OutboxEmail.template == "download_ready") == 1
    cluster.assert_running()
    assert not cluster.local_storage.exists()


async def _zip_holder(
    queue: Any, request_id: int, workers: dict[str, subprocess.Popen[bytes]], running: Callable[[], None]
) -> str:
    """The name of the worker whose process runs the zip job, once the zip is under way."""

    async def holder() -> str | None:
        running()
        job = await queue.job(job_key(request_id))
        row = await DownloadRequest.select().where(DownloadRequest.id == request_id).first()
        if job is None or job.status != Status.ACTIVE or not job.worker_id or row["done"] == 0:
            return None
        [name] = [name for name, p in workers.items() if f"-{p.pid}-" in job.worker_id]
        return name

    return await wait_until(holder, within=120)
