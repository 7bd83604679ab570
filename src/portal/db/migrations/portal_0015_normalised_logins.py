"""Usernames and email addresses as sign-in now looks them up: NFKC, then lower-case, then NFC
(`accounts.forms.normalise_login`). They were stored lower-cased only, so a user who registered as
"ａｎａ" (full-width, as some input methods type) could no longer sign in. Only a value with a character
outside ASCII can change. A value whose new form another user already has, or that would no longer fit
its column, is left as it was and named on standard error: two accounts cannot both be "ana", and which
one keeps the name is the operator's call (the other can still sign in with its email address)."""

import sys
import unicodedata

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-12-07T06:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "portal_user.username and email normalised as sign-in looks them up"

_LONGEST = {"username": 60, "email": 254}


def _normalised(text: str) -> str:
    """`normalise_login` as it was when this migration was written: a migration must not change later."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFKC", text).lower())


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run() -> None:
        db = engine_finder()
        assert db is not None
        for column, longest in _LONGEST.items():  # column names from this module, never input
            select = f"SELECT id, {column} AS value FROM portal_user WHERE {column} !~ '^[ -~]*$'"  # noqa: S608
            update = (
                f"UPDATE portal_user SET {column} = {{}} WHERE id = {{}}"  # noqa: S608
                f" AND NOT EXISTS (SELECT 1 FROM portal_user WHERE {column} = {{}}) RETURNING id"
            )
            for row in await db.run_querystring(QueryString(select)):
                value = _normalised(row["value"])
                if value == row["value"]:
                    continue
                if len(value) > longest:
                    problem = "too long once normalised"
                elif await db.run_querystring(QueryString(update, value, row["id"], value)):
                    continue
                else:
                    problem = "another user has it normalised"
                print(f"portal_user {row['id']}: {column} left as it was ({problem})", file=sys.stderr)

    manager.add_raw(run)
    return manager
