"""An account's bills issued up to a day no longer prove it: `portal access remove` sets the day it ran
(the person removed still holds the bill they used), and `portal access allow-old-bills` clears it.
Registration and "Add an account" then take only a bill issued after that day. NULL: every bill of the
account proves it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-08T10:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "account.bills_prove_after (the bills of an access removed no longer prove the account)"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run() -> None:
        db = engine_finder()
        assert db is not None
        await db.run_ddl("ALTER TABLE account ADD COLUMN bills_prove_after date NULL")

    manager.add_raw(run)
    return manager
