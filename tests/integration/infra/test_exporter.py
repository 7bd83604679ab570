"""`portal metrics` scraped for real: two web processes (`portal serve --workers 2`), a `portal worker` and
the exporter, all writing to one PROMETHEUS_MULTIPROC_DIR, each a real process; an email queued with
`portal mail test` and sent to the real SMTP server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import free_port
from tests.conftest import wait_until
from tests.processes import stop_processes


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _value(text: str, name: str, **labels: str) -> float | None:
    """The sample `name{labels}` of a scrape (None when it is not there)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return None


@pytest.fixture
def processes(tmp_path: Path, smtp_server: tuple[Any, int]) -> Iterator[Any]:
    """Start portal commands on this test's database and SMTP server, sharing one metrics folder."""
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "STORAGE_DIR": str(tmp_path / "files"),
        "MAIL_URL": f"smtp://127.0.0.1:{smtp_server[1]}",
    }
    started: list[subprocess.Popen[bytes]] = []

    def start(*command: str, **extra: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"{command[0]}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "portal.cli", *command], env={**env, **extra}, stdout=log, stderr=log
        )
        started.append(process)
        return process

    yield start
    stop_processes(started, within=30)


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            _get(url)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


async def test_metrics_add_up_every_process_and_read_the_backlog(
    db: None, queue: Any, processes: Any, mailbox: Any
) -> None:
    web_port, metrics_port = free_port(), free_port()
    processes("serve", "--workers", "2", PORT=str(web_port))
    processes("metrics", METRICS_PORT=str(metrics_port))
    web, scrape = f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{metrics_port}/metrics"
    _wait_for(f"{web}/healthz")
    _wait_for(scrape)

    for _ in range(20):
        assert _get(f"{web}/healthz")[0] == 200
    assert _get(f"{web}/no-such-page")[0] == 404
    # Not on the public site: only the exporter's port serves the figures.
    assert _get(f"{web}/metrics")[0] == 404

    # An email queued while no worker runs: the backlog comes from the queue and the outbox themselves.
    queued = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "portal.cli",
        "mail",
        "test",
        "--to",
        "ops@example.com",
        stdout=asyncio.subprocess.DEVNULL,
    )
    assert await queued.wait() == 0
    status, text = _get(scrape)
    assert status == 200
    # Both web processes' requests (the 20 and the one that found the server up), added up: each process
    # counted its own in its own file.
    assert _value(text, "portal_http_requests_total", method="GET", route="/healthz", status="200") == 21
    assert _value(text, "portal_http_request_duration_seconds_count", method="GET", route="/healthz") == 21
    assert _value(text, "portal_http_requests_total", method="GET", route="(unmatched)", status="404") == 2
    assert _value(text, "portal_outbox_backlog") == 1
    assert (_value(text, "portal_queue_jobs", state="queued") or 0) >= 1
    assert _value(text, "portal_jobs_total", task="send_email", outcome="complete") is None

    processes("worker")
    await mailbox.wait_for(1, within=60)

    async def job_counted() -> str | None:
        text = _get(scrape)[1]
        return (
            text
            if _value(text, "portal_outbox_backlog") == 0
            and _value(text, "portal_jobs_total", task="send_email", outcome="complete")
            else None
        )

    text = await wait_until(job_counted, within=30, every=0.5)
    assert _value(text, "portal_jobs_total", task="send_email", outcome="complete") == 1
    assert _value(text, "portal_job_duration_seconds_count", task="send_email") == 1
    assert _value(text, "portal_outbox_oldest_seconds") == 0
    assert len(mailbox.messages) == 1
