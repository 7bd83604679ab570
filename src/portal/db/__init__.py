"""Database: Piccolo configuration, tables and the one linear migration history."""
