"""Issuing reads the bills of one import run: only imported bills have a run, so a partial index."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T18:42:37:000000"
VERSION = "1.38.0"
DESCRIPTION = "bills by import run"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run() -> None:
        db = engine_finder()
        assert db is not None
        await db.run_ddl("CREATE INDEX bill_by_import_run ON bill (import_run) WHERE import_run IS NOT NULL")

    manager.add_raw(run)
    return manager
