"""Migrations run from one place: `portal db migrate` (docs/deploy.md, Upgrades). In production a one-off
command (an import run by cron, a refund report) started from a release whose migrations the database has
not had stops with one line instead of migrating it; in development it migrates, with Piccolo's lines
kept off standard output, whose last line is the command's report."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from conftest import free_port
from tests.processes import PRODUCTION, run_portal


async def _has_bills_table(url: str) -> bool:
    connection = await asyncpg.connect(url)
    try:
        return bool(await connection.fetchval("SELECT to_regclass('bill') IS NOT NULL"))
    finally:
        await connection.close()


async def test_a_production_import_does_not_migrate_the_database(unmigrated: str, tmp_path: Path) -> None:
    export = tmp_path / "export.jsonl"
    export.write_text("")
    refused = run_portal("import", str(export), **PRODUCTION, DATABASE_URL=unmigrated)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    last = refused.stderr.strip().splitlines()[-1]  # after the log's JSON lines
    assert last.startswith("portal: the database lacks ") and "run `portal db migrate` first" in last, last
    assert not await _has_bills_table(unmigrated)

    migrated = run_portal("db", "migrate", **PRODUCTION, DATABASE_URL=unmigrated)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    report = run_portal("payments", "refunds", **PRODUCTION, DATABASE_URL=unmigrated)
    assert report.returncode == 0, report.stdout + report.stderr
    assert report.stdout == "0 card payments to refund\n"


async def test_in_development_a_command_migrates_and_keeps_its_report_alone_on_standard_output(
    unmigrated: str,
) -> None:
    report = run_portal("payments", "refunds", DATABASE_URL=unmigrated)
    assert report.returncode == 0, report.stdout + report.stderr
    assert report.stdout == "0 card payments to refund\n"
    assert await _has_bills_table(unmigrated)


@pytest.mark.parametrize("command", [["serve"], ["worker"]])
async def test_a_production_web_or_worker_process_waits_for_the_migrations(
    unmigrated: str, command: list[str]
) -> None:
    """Started before `portal db migrate` (step 3 of an upgrade run before step 2), it stops at once with
    that advice, instead of serving 500s or failing every job and sweep with a traceback."""
    refused = run_portal(*command, **PRODUCTION, DATABASE_URL=unmigrated, PORT=str(free_port()))
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "Traceback" not in refused.stderr, refused.stderr
    last = refused.stderr.strip().splitlines()[-1]
    assert last.startswith("portal: the database lacks ") and "run `portal db migrate` first" in last, last
    assert not await _has_bills_table(unmigrated)


async def test_two_migrations_at_once_take_turns(unmigrated: str) -> None:
    """Two `portal db migrate` at once (a deploy job on two machines): both end well, the schema whole."""
    environment = {**os.environ, **PRODUCTION, "DATABASE_URL": unmigrated}
    both = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "portal.cli",
            "db",
            "migrate",
            env=environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for _ in range(2)
    ]
    for process in both:
        output = (await asyncio.wait_for(process.communicate(), timeout=120))[0].decode()
        assert process.returncode == 0, output
        assert "Traceback" not in output, output
    assert await _has_bills_table(unmigrated)
    again = run_portal("db", "migrate", **PRODUCTION, DATABASE_URL=unmigrated)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No migrations need to be run" in again.stdout, again.stdout


async def test_a_migration_the_database_refuses_is_said_in_one_line(unmigrated: str) -> None:
    """DATABASE_URL names a database that is not the portal's (another application's, with its own
    `customer` table): the first migration fails. It is rolled back, the others are not run, and the command
    says so in one line instead of asyncpg's traceback."""
    connection = await asyncpg.connect(unmigrated)
    try:
        await connection.execute("CREATE TABLE customer (id integer)")
    finally:
        await connection.close()
    refused = run_portal("db", "migrate", **PRODUCTION, DATABASE_URL=unmigrated)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "Traceback" not in refused.stderr, refused.stderr
    assert refused.stderr.strip().splitlines()[-1] == (
        'portal: the database refused a migration (DuplicateTableError: relation "customer" already exists):'
        " it was rolled back and the ones after it were not run; fix the cause (is DATABASE_URL the portal's"
        " own database?) and run `portal db migrate` again"
    ), refused.stderr
    assert not await _has_bills_table(unmigrated)


async def test_a_database_user_without_the_rights_is_said_in_one_line(unmigrated: str) -> None:
    """DATABASE_URL's user may connect but not create or read the portal's tables: one line naming what
    the database said, exit status 2, instead of asyncpg's traceback."""
    role = f"portal_no_rights_{os.getpid()}"
    admin = await asyncpg.connect(unmigrated)
    try:
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.execute(f'CREATE ROLE "{role}" LOGIN')
        await admin.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")  # as PostgreSQL 15 and later do
        parts = urlsplit(unmigrated)
        as_role = urlunsplit(parts._replace(netloc=f"{role}@{parts.netloc.rpartition('@')[2]}"))
        refused = run_portal("payments", "refunds", DATABASE_URL=as_role)
    finally:
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.close()
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "Traceback" not in refused.stderr, refused.stderr
    assert refused.stderr.strip().splitlines()[-1] == (
        "portal: the database refused it (InsufficientPrivilegeError: permission denied for schema public):"
        " check the rights of DATABASE_URL's user, and the database's log"
    ), refused.stderr
