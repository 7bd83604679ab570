"""A one-off command stopped in the middle (Ctrl-C at the terminal, SIGTERM from cron's `timeout` or a
supervisor) says so in one line on standard error, no traceback, and still ends by that signal, as the
shell and the supervisor expect (130, 143)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from asyncio.subprocess import Process
from pathlib import Path

import asyncpg
import pytest

from portal.settings import Settings
from tests.processes import storage_env
from tests.unit.imports.import_samples import ACCOUNT_RECORD, BILL, CUSTOMER, jsonl

BATCH_LOCK = 0x706F7274616C
"""The advisory lock each import batch takes (portal.imports.writer): two imports take turns on it."""


async def _waits_for_the_batch_lock(connection: asyncpg.Connection, process: Process) -> None:
    """Until the import waits for the lock this test holds (pytest's timeout bounds the wait)."""
    while not await connection.fetchval(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    ):
        assert process.returncode is None, await process.communicate()
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
async def test_an_import_stopped_in_the_middle_says_so(
    db: None, settings: Settings, tmp_path: Path, stop: signal.Signals
) -> None:
    export = tmp_path / "export.jsonl"
    export.write_bytes(jsonl(CUSTOMER, ACCOUNT_RECORD, BILL))
    holder = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", BATCH_LOCK)  # another import's batch
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "portal.cli", "import", str(export)),
            env={**os.environ, **storage_env(settings.storage), "MAIL_URL": "dev:"},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        await _waits_for_the_batch_lock(holder, process)
        process.send_signal(stop)
        output, stderr = await process.communicate()
        errors = stderr.decode()
    finally:
        await holder.close()
    assert process.returncode == -stop, errors
    assert "Traceback" not in errors, errors
    assert errors.strip().splitlines()[-1] == (
        f"portal: stopped by {stop.name} before the command finished: what it had committed stays"
        " (`portal import --history` says how far an import went); run it again to finish"
    ), errors
    assert output == b""
