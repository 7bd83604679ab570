"""The load test's users: N customers, each with two accounts of 24 months of bills (3 of them pending) and
an activated private user, made as `portal demo customer` makes them, written to var/bench/load/users.json.

They go into the database `portal run` uses (DATABASE_URL, or the embedded one in var/pg), so run it while
the portal runs or before. The file is reused while it holds enough users and its first user still exists.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
USERS_FILE = ROOT / "var" / "bench" / "load" / "users.json"
PASSWORD = "load-test password 7"


async def _exists(username: str) -> bool:
    from portal.db import fetch_one

    return await fetch_one("SELECT 1 AS found FROM portal_user WHERE username = {}", username) is not None


async def _prepare(count: int) -> list[dict[str, Any]]:
    from portal.db import start_pool
    from portal.db.tables.users import UserKind
    from portal.demo.fresh import add_customer
    from portal.settings import Settings

    settings = Settings.from_env()
    engine = await start_pool(max_size=2)
    try:
        users = json.loads(USERS_FILE.read_text()) if USERS_FILE.exists() else []
        if users and not await _exists(users[0]["username"]):
            users = []  # another database
        started = time.monotonic()
        while len(users) < count:
            customer = await add_customer(
                settings,
                identity="dni",
                pending=[2, 1],
                user=UserKind.private,
                password=PASSWORD,
                online_bill=True,
            )
            users.append(
                {**customer["user"], "identity": customer["identity"], "accounts": customer["accounts"]}
            )
            if len(users) % 20 == 0:
                print(f"  {len(users)} of {count} users ({time.monotonic() - started:.0f} s)", flush=True)
        return users
    finally:
        await engine.close_connection_pool()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=200, help="how many users the file must hold")
    args = parser.parse_args()
    os.environ.setdefault("PICCOLO_CONF", "portal.db.piccolo_conf")
    from portal.cli import _settings_with_database

    _settings_with_database()  # DATABASE_URL, or the embedded database `portal run` uses
    users = asyncio.run(_prepare(args.users))
    USERS_FILE.parent.mkdir(parents=True, exist_ok=True)
    USERS_FILE.write_text(json.dumps(users, ensure_ascii=False))
    print(f"{len(users)} load-test users in {USERS_FILE.relative_to(ROOT)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
