"""Migrations run from one place: `portal db migrate` (docs/deploy.md, Upgrades). In production a one-off
command (an import run by cron, a refund report) started from a release whose migrations the database has
not had stops with one line instead of migrating it; in development it migrates, with Piccolo's lines
kept off standard output, whose last line is the command's report."""

from __future__ import annotations

from pathlib import Path

import asyncpg

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
