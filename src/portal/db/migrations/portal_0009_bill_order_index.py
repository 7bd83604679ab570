"""My bills lists a user's bills newest first across all their accounts: (period_start DESC, id DESC).

``bill_account_period`` serves a user with a few accounts (one index range per account); a user who sees
thousands of accounts (an administrator) needs the bills in that order across accounts, or PostgreSQL
sorts every bill they may see to show 50 (bench/README.md). Pending bills are few (well under 1 %):
the partial index lists them in the same order, for the status filters "Pending" and "Overdue" (its
``due_date`` key lets PostgreSQL skip the other kind inside the index) and for the oldest pending bills
shown at the bottom of My bills.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T20:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index for My bills across accounts"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run() -> None:
        db = engine_finder()
        assert db is not None
        await db.run_ddl("CREATE INDEX bill_period_order ON bill (period_start DESC, id DESC)")
        await db.run_ddl(
            "CREATE INDEX bill_pending_period ON bill (period_start DESC, id DESC, due_date)"
            " WHERE status = 'pending'"
        )

    manager.add_raw(run)
    return manager
