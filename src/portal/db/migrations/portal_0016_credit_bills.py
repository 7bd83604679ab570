"""Credit bills: a bill whose total is 0 or less (a corrective bill that gives money back) is imported
with the status "credit" and no Cuaderno 57 payment code, since a code cannot carry such an amount and
there is nothing to collect. Its payment columns are NULL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "bill.payment_suffix, payment_reference and payment_identification nullable (credit bills)"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run() -> None:
        db = engine_finder()
        assert db is not None
        await db.run_ddl(
            "ALTER TABLE bill ALTER COLUMN payment_suffix DROP NOT NULL,"
            " ALTER COLUMN payment_reference DROP NOT NULL, ALTER COLUMN payment_identification DROP NOT NULL"
        )

    manager.add_raw(run)
    return manager
