"""A Redis database of its own for one CI run, so that runs sharing a Redis never wipe each other's jobs.

    redis_db.py claim RUN_ID      prints the number of the database it claimed for the run
    redis_db.py release DB RUN_ID empties that database, if the run still holds it

A run claims an empty database by writing the marker key with its run id (SET NX: of two runs that find
the same database empty, one gets it); the queue fixture (tests/conftest.py) empties the database between
tests but keeps the marker, and refuses a database whose marker names another run. Database 0, where
other programs keep their data by default, is never claimed. The marker expires after a few hours, so a
run killed before it releases its database does not hold it for ever.
"""

from __future__ import annotations

import sys

import redis

URL = "redis://127.0.0.1:6379"
CLAIM_KEY = "portal-ci:run"  # the same name in tests/conftest.py
CLAIM_SECONDS = 4 * 3600


def _database(number: int) -> redis.Redis:
    return redis.Redis.from_url(f"{URL}/{number}")


def claim(run_id: str) -> int:
    count = int(_database(0).config_get("databases").get("databases", 16))
    for number in range(1, count):
        db = _database(number)
        if db.dbsize() == 0 and db.set(CLAIM_KEY, run_id, nx=True, ex=CLAIM_SECONDS):
            if db.dbsize() == 1:  # nothing else arrived meanwhile
                return number
            db.delete(CLAIM_KEY)
    raise SystemExit(f"No empty Redis database left at {URL} (1 to {count - 1})")


def release(number: int, run_id: str) -> None:
    db = _database(number)
    holder = db.get(CLAIM_KEY)
    if holder is None or holder.decode() != run_id:
        raise SystemExit(f"Redis database {number} is held by {holder!r}, not run {run_id}: left alone")
    db.flushdb()


if __name__ == "__main__":
    match sys.argv[1:]:
        case ["claim", run_id]:
            print(claim(run_id))
        case ["release", number, run_id]:
            release(int(number), run_id)
        case _:
            raise SystemExit(__doc__)
