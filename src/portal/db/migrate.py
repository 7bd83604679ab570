"""Apply the Piccolo migrations (one linear history) to the database named by DATABASE_URL."""

from __future__ import annotations

import os

import asyncpg
from piccolo.apps.migrations.commands.check import CheckMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards

from portal.settings import ConfigurationError

MIGRATION_LOCK = 0x706F7274616C  # "portal": the advisory lock key that one `migrate` at a time holds


async def migrate() -> None:
    """Apply what is missing. Two at once (two machines' `portal db migrate`, a deploy job retried) take
    turns on a PostgreSQL advisory lock: without it both saw the same migrations missing and the second
    failed half-way with a duplicate-key traceback. The second then finds nothing left to do."""
    os.environ.setdefault("PICCOLO_CONF", "portal.db.piccolo_conf")
    from portal.db import engine  # after PICCOLO_CONF is set: the engine is found through it

    connection = await engine().get_new_connection()  # its own connection: it holds the lock
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        response = await run_forwards(app_name="portal", migration_id="all", fake=False)
    except asyncpg.PostgresError as exc:  # each migration runs in a transaction of its own (Piccolo's)
        raise ConfigurationError(
            f"the database refused a migration ({type(exc).__name__}: {exc}): it was rolled back and the"
            " ones after it were not run; fix the cause (is DATABASE_URL the portal's own database?) and run"
            " `portal db migrate` again"
        ) from None
    finally:
        await connection.close()  # ends the session, which releases the lock
    if not response.success:
        raise ConfigurationError(f"the migrations failed: {response.message}")


async def pending() -> int:
    """How many of this release's migrations the database has not had."""
    os.environ.setdefault("PICCOLO_CONF", "portal.db.piccolo_conf")
    return await CheckMigrationManager(app_name="portal").havent_ran_count()
