"""Composite indexes and constraints that Piccolo's column options cannot declare.

Kept in their own migration because Piccolo runs a migration's raw steps before its table steps.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T15:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite indexes for the journeys' queries"

STATEMENTS = (
    # My bills: newest first per account, keyset-paginated on (period_start, id).
    "CREATE INDEX bill_account_period ON bill (account, period_start DESC, id DESC)",
    # Pending / overdue bills of an account (account status, payment documents).
    "CREATE INDEX bill_account_status_due ON bill (account, status, due_date)",
    'ALTER TABLE account_access ADD CONSTRAINT account_access_user_account UNIQUE ("user", account)',
    # The outbox sweep looks only at unsent messages.
    "CREATE INDEX outbox_email_unsent ON outbox_email (created_at) WHERE sent_at IS NULL",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run() -> None:
        db = engine_finder()
        assert db is not None
        for statement in STATEMENTS:
            await db.run_ddl(statement)

    manager.add_raw(run)
    return manager
