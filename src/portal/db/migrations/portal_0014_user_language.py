"""A user's language, chosen with the header's switcher or when registering: their pages, emails and
PDFs are in it. Empty (NULL) for users who chose none: the cookie, the browser or the default decide.
A payment's language, the payer's when it started: the receipt's email goes out in it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T23:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "portal_user.language, payment.language"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run() -> None:
        db = engine_finder()
        assert db is not None
        await db.run_ddl("ALTER TABLE portal_user ADD COLUMN language varchar(8) NULL")
        await db.run_ddl("ALTER TABLE payment ADD COLUMN language varchar(8) NOT NULL DEFAULT 'en'")

    manager.add_raw(run)
    return manager
