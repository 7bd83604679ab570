"""The one Piccolo app that holds every table of the portal."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.db.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="portal",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=list(TABLES),
)
