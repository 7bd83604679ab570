"""Throttles count a key's attempts inside a time window."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T15:31:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index for throttle windows"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run() -> None:
        db = engine_finder()
        assert db is not None
        await db.run_ddl("CREATE INDEX attempt_key_at ON attempt (key, at)")

    manager.add_raw(run)
    return manager
