"""`portal import --history` says whether a run's bills were rendered and where reading stopped, and a
card payment to refund (`portal payments refunds`) records when an operator refunded it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T22:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "import_run.rendered and read_error; payment.refunded_at"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run() -> None:
        db = engine_finder()
        assert db is not None
        # Runs issued before this column show as not rendered: whether they were is not known.
        await db.run_ddl("ALTER TABLE import_run ADD COLUMN rendered boolean NOT NULL DEFAULT false")
        await db.run_ddl("ALTER TABLE import_run ADD COLUMN read_error text NOT NULL DEFAULT ''")
        await db.run_ddl("ALTER TABLE payment ADD COLUMN refunded_at timestamptz NULL")
        await db.run_ddl("CREATE INDEX payment_to_refund ON payment (notified_at) WHERE needs_refund")

    manager.add_raw(run)
    return manager
