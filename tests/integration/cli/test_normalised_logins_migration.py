"""Migration 0015: usernames and emails stored before sign-in normalised what it looks up (lower-cased only)
are normalised as `normalise_login` does, so that their users can still sign in; a value whose normalised
form another user has is left alone and named on standard error, never merged or lost."""

from __future__ import annotations

import os
import subprocess
import sys

import asyncpg

from portal.accounts.forms import normalise_login
from tests.processes import run_portal

BEFORE_0015 = "2026-12-05T23:15:00:000000"  # portal_0014_user_language


def _migrate_until(url: str, migration_id: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "piccolo.main", "migrations", "forwards", "portal", migration_id],
        env={**os.environ, "DATABASE_URL": url, "PICCOLO_CONF": "portal.db.piccolo_conf"},
        check=True,
        capture_output=True,
        timeout=120,
    )


async def test_logins_stored_lower_cased_only_are_normalised_and_clashes_are_left_alone(
    unmigrated: str,
) -> None:
    _migrate_until(unmigrated, BEFORE_0015)
    stored = [
        (
            "ａｎａ",
            "ａｎａ@ｅｘａｍｐｌｅ.ｃｏｍ",
        ),  # full-width, as an input method types it: "ana", "ana@example.com"
        ("jose\u0301", "jose\u0301@example.com"),  # "é" as "e" and a combining accent: NFC "josé"
        ("maria", "maria@example.com"),  # ASCII: untouched
        ("ｍａｒｉａ", "other@example.com"),  # would become "maria", which another user has: left alone
    ]
    connection = await asyncpg.connect(unmigrated)
    try:
        ids = [
            await connection.fetchval(
                "INSERT INTO portal_user (username, email, kind, privacy_policy_version, privacy_accepted_at,"
                " created_at, online_bill) VALUES ($1, $2, 'private', '1', now(), now(), false) RETURNING id",
                username,
                email,
            )
            for username, email in stored
        ]
        migrated = run_portal("db", "migrate", DATABASE_URL=unmigrated)
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        rows = await connection.fetch("SELECT username, email FROM portal_user ORDER BY id")
    finally:
        await connection.close()

    assert [(row["username"], row["email"]) for row in rows] == [
        ("ana", "ana@example.com"),
        ("josé", "josé@example.com"),
        ("maria", "maria@example.com"),
        ("ｍａｒｉａ", "other@example.com"),
    ]
    assert all(normalise_login(row["username"]) == row["username"] for row in rows[:3])
    assert (
        f"portal_user {ids[3]}: username left as it was (another user has it normalised)" in migrated.stderr
    )
    assert (
        "ｍａｒｉａ" not in migrated.stderr and "maria" not in migrated.stderr
    )  # ids only, no personal data
