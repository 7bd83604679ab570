"""Constraints and indexes of the download tables that Piccolo's column options cannot declare.

Kept in their own migration because Piccolo runs a migration's raw steps before its table steps.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T17:55:03:000000"
VERSION = "1.38.0"
DESCRIPTION = "download requests: one mark per bill, the user's list, the sweep"

STATEMENTS = (
    "ALTER TABLE download_request_bill ADD CONSTRAINT download_request_bill_request_bill"
    " UNIQUE (request, bill)",
    # Downloads requested and the home page: a user's requests, newest first.
    'CREATE INDEX download_request_user_created ON download_request ("user", created_at DESC)',
    # The sweep looks only at requests that are not finished.
    "CREATE INDEX download_request_open ON download_request (state, updated_at)"
    " WHERE state IN ('draft', 'queued', 'preparing', 'ready')",
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
