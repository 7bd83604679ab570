from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text, Varchar

ID = "2026-11-28T16:38:24:651281"
VERSION = "1.38.0"
DESCRIPTION = "registration answers kept whole, as typed"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    manager.alter_column(
        table_class_name="RegistrationDraft",
        tablename="registration_draft",
        column_name="identity_number",
        db_column_name="identity_number",
        params={},
        old_params={},
        column_class=Text,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="RegistrationDraft",
        tablename="registration_draft",
        column_name="account_number",
        db_column_name="account_number",
        params={},
        old_params={},
        column_class=Text,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="RegistrationDraft",
        tablename="registration_draft",
        column_name="bill_number",
        db_column_name="bill_number",
        params={},
        old_params={},
        column_class=Text,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="RegistrationDraft",
        tablename="registration_draft",
        column_name="amount",
        db_column_name="amount",
        params={},
        old_params={},
        column_class=Text,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="RegistrationDraft",
        tablename="registration_draft",
        column_name="username",
        db_column_name="username",
        params={},
        old_params={},
        column_class=Text,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="RegistrationDraft",
        tablename="registration_draft",
        column_name="email",
        db_column_name="email",
        params={},
        old_params={},
        column_class=Text,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
