"""The database pool skips asyncpg's reset query on release (portal.db.start_pool): that is only safe while
no code leaves session state on a pooled connection. This test finds code that would."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

SESSION_STATE = {
    # SQL keywords are written in capitals here, which tells a statement from a sentence ("Set a new…").
    "a session setting (SET without LOCAL)": re.compile(r"""["']\s*SET\s+(?!LOCAL\b)"""),
    "a session advisory lock": re.compile(r"pg_(try_)?advisory_lock(_shared)?\s*\(", re.IGNORECASE),
    "a cursor kept past its transaction": re.compile(r"\bWITH\s+HOLD\b"),
    "a LISTEN registration": re.compile(r"""\.add_listener\s*\(|["']\s*LISTEN\s"""),
}


@pytest.mark.parametrize(
    ("kind", "sample"),
    [
        ("a session setting (SET without LOCAL)", "await conn.execute('SET statement_timeout = 5')"),
        ("a session advisory lock", 'await conn.execute("SELECT pg_advisory_lock(42)")'),
        ("a cursor kept past its transaction", "DECLARE c CURSOR WITH HOLD FOR SELECT 1"),
        ("a LISTEN registration", "await conn.add_listener('jobs', callback)"),
    ],
)
def test_each_pattern_finds_what_it_is_for(kind: str, sample: str) -> None:
    assert SESSION_STATE[kind].search(sample)
    assert not SESSION_STATE[kind].search("UPDATE bill SET status = 'paid'; SET LOCAL lock_timeout = 1")


DEDICATED = {
    # An import run holds its run's advisory lock while it runs (other runs tell a crashed run from one
    # still importing by it) on a connection of its own, closed when the run ends: never the pool's.
    "src/portal/imports/run.py": "a session advisory lock",
    # `portal db migrate` holds one while it migrates, so that two at once take turns.
    "src/portal/db/migrate.py": "a session advisory lock",
}
"""Modules whose session state is on a connection they open and close themselves, never a pooled one."""


def test_no_code_leaves_session_state_on_a_pooled_connection() -> None:
    found = [
        f"{path.relative_to(ROOT)}: {kind}"
        for folder in ("src", "jobs")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for kind, pattern in SESSION_STATE.items()
        if pattern.search(path.read_text(encoding="utf-8"))
        and DEDICATED.get(str(path.relative_to(ROOT))) != kind
    ]
    assert found == []


@pytest.mark.parametrize("module", sorted(DEDICATED))
def test_a_module_with_session_state_uses_only_a_connection_of_its_own(module: str) -> None:
    text = (ROOT / module).read_text(encoding="utf-8")
    assert "get_new_connection()" in text and "connection.close()" in text
    assert not re.search(r"\bpool\b|\.acquire\(|portal\.db import (fetch|transaction)", text)
