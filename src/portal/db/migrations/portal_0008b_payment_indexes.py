"""One open payment per bill and per bills-due document: double clicks and two tabs reuse it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T19:30:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "one open payment per bill or document"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run() -> None:
        db = engine_finder()
        assert db is not None
        await db.run_ddl(
            "CREATE UNIQUE INDEX payment_one_open_bill ON payment (bill)"
            " WHERE state = 'open' AND bill IS NOT NULL"
        )
        await db.run_ddl("CREATE INDEX payment_by_document ON payment (document)")
        await db.run_ddl(
            "CREATE UNIQUE INDEX payment_one_open_document ON payment (document)"
            " WHERE state = 'open' AND document IS NOT NULL"
        )

    manager.add_raw(run)
    return manager
