"""Apply the Piccolo migrations (one linear history) to the database named by DATABASE_URL."""

from __future__ import annotations

import os

from piccolo.apps.migrations.commands.check import CheckMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards


async def migrate() -> None:
    os.environ.setdefault("PICCOLO_CONF", "portal.db.piccolo_conf")
    response = await run_forwards(app_name="portal", migration_id="all", fake=False)
    if not response.success:
        raise RuntimeError(f"Migrations failed: {response.message}")


async def pending() -> int:
    """How many of this release's migrations the database has not had."""
    os.environ.setdefault("PICCOLO_CONF", "portal.db.piccolo_conf")
    return await CheckMigrationManager(app_name="portal").havent_ran_count()
