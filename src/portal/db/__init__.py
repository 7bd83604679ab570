"""Database: Piccolo configuration, tables and the one linear migration history."""

from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine


def engine() -> PostgresEngine:
    """The configured engine (portal.db.piccolo_conf), typed: the portal runs on PostgreSQL only."""
    found = engine_finder()
    assert isinstance(found, PostgresEngine)
    return found
