"""A registration may be completed without a new user: its email address already had one (the owner is
told by email, and the page answers as for any other registration, so it reveals nothing)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T19:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "registration_draft.completed_at"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run() -> None:
        db = engine_finder()
        assert db is not None
        await db.run_ddl("ALTER TABLE registration_draft ADD COLUMN completed_at timestamptz NULL")
        await db.run_ddl('UPDATE registration_draft SET completed_at = created_at WHERE "user" IS NOT NULL')

    manager.add_raw(run)
    return manager
