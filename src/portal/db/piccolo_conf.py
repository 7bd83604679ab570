"""Piccolo's configuration module (PICCOLO_CONF=portal.db.piccolo_conf).

The database URL comes from DATABASE_URL, which `portal run` sets after starting the embedded
PostgreSQL; processes started without it (e.g. `piccolo migrations new`) get a placeholder that is
never connected to.
"""

import os

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

DB = PostgresEngine(
    config={"dsn": os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/portal")},
    log_queries=False,
)

APP_REGISTRY = AppRegistry(apps=["portal.db.piccolo_app"])
