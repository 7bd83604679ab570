from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-11-28T20:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "email tokens may confirm a change of address (choices only: no DDL)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    manager.alter_column(
        table_class_name="EmailToken",
        tablename="email_token",
        column_name="purpose",
        db_column_name="purpose",
        params={
            "choices": Enum(
                "TokenPurpose",
                {
                    "activation": "activation",
                    "password_reset": "password_reset",
                    "email_change": "email_change",
                },
            )
        },
        old_params={
            "choices": Enum(
                "TokenPurpose",
                {"activation": "activation", "password_reset": "password_reset"},
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
