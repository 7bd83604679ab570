"""Database time of the My bills page's queries at 10,000 and 1,000,000 bills (EXPLAIN ANALYZE).

    .venv/bin/python bench/explain_my_bills.py

Needs the datasets bench/my_bills.py builds (it builds them if missing). The SQL is that of
`portal.bills.services.my_bills` (page query, first page / deep page / filters, and the pending-bills
list and the "Account" filter's choices, which the service sends in the same statement with UNION ALL),
and of `sees_account` (a typed account number), run with EXPLAIN (ANALYZE) five times each;
the median "Execution Time" is printed, and with --plans the plans. Unlike HTTP latency on a shared
machine, these barely depend on the neighbours.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
from typing import Any

import _common as c
import asyncpg

SIZES = (10_000, 1_000_000)
PAGE = (
    "SELECT b.id, b.account, b.number, b.period_start, b.period_end, b.issue_date, b.due_date,"
    ' b.total_cents, b.status FROM bill b JOIN account_access x ON x.account = b.account AND x."user" = $1'
)
"""Each part of the service's statement (the page, the pending list); the service then joins the few rows
chosen to ``account`` for their numbers."""
ORDER = " ORDER BY b.period_start DESC, b.id DESC LIMIT 51"
ACCOUNTS = (
    "SELECT a.number, a.supply_address FROM account_access x JOIN account a ON a.id = x.account"
    ' WHERE x."user" = $1 ORDER BY a.number LIMIT 51'
)
SEES_ACCOUNT = (
    'SELECT 1 FROM account_access x JOIN account a ON a.id = x.account WHERE x."user" = $1 AND a.number = $2'
)


def queries(today: dt.date, account: str, cursor: tuple[dt.date, int]) -> dict[str, tuple[str, list[Any]]]:
    return {
        "page: first": (PAGE + ORDER, []),
        "page: deep (cursor)": (PAGE + " WHERE (b.period_start, b.id) < ($2, $3)" + ORDER, list(cursor)),
        "page: account": (
            PAGE + " WHERE b.account = (SELECT id FROM account WHERE number = $2)" + ORDER,
            [account],
        ),
        "page: status paid": (PAGE + " WHERE b.status = $2" + ORDER, ["paid"]),
        "page: status pending": (
            PAGE + " WHERE b.status = 'pending' AND b.due_date >= $2" + ORDER,
            [today],
        ),
        "page: status overdue": (
            PAGE + " WHERE b.status = 'pending' AND b.due_date < $2" + ORDER,
            [today],
        ),
        "pending list (oldest 20 + 1)": (
            PAGE + " WHERE b.status = 'pending' ORDER BY b.period_start, b.id LIMIT 21",
            [],
        ),
        "account choices (≤ 50 + 1)": (ACCOUNTS, []),
        "typed account number": (SEES_ACCOUNT, [account]),
    }


async def measure(url: str, username: str, deep_row: int, plans: bool) -> dict[str, float]:
    conn = await asyncpg.connect(url)
    try:
        user = await conn.fetchval("SELECT id FROM portal_user WHERE username = $1", username)
        row = await conn.fetchrow(
            "SELECT b.period_start, b.id FROM bill b"
            ' JOIN account_access x ON x.account = b.account AND x."user" = $1'
            " ORDER BY b.period_start DESC, b.id DESC OFFSET $2 LIMIT 1",
            user,
            deep_row - 1,
        )
        account = await conn.fetchval(
            'SELECT a.number FROM account_access x JOIN account a ON a.id = x.account WHERE x."user" = $1'
            " ORDER BY a.number LIMIT 1",
            user,
        )
        out = {}
        for name, (sql, args) in queries(dt.date.today(), account, (row["period_start"], row["id"])).items():
            times = []
            for _ in range(5):
                lines = [r[0] for r in await conn.fetch("EXPLAIN (ANALYZE) " + sql, user, *args)]
                times.append(float(next(line for line in lines if line.startswith("Execution")).split()[2]))
            out[name] = statistics.median(times)
            if plans:
                print(f"--- {username} {name}\n" + "\n".join(lines), file=sys.stderr)
        return out
    finally:
        await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--plans", action="store_true", help="print the query plans on stderr")
    args = parser.parse_args()
    server, embedded = c.server_url()
    try:
        urls = {size: c.ensure_dataset(server, size).url for size in SIZES}
        now = dt.datetime.now(dt.UTC)
        lines = [
            f"# My bills queries, database time (EXPLAIN ANALYZE, median of 5), {now:%Y-%m-%d %H:%M} UTC",
            "| user | query | 10,000 bills | 1,000,000 bills |",
            "|---|---|---|---|",
        ]
        for username, deep in ((c.HOLDER_USER, 150), (c.ADMIN_USER, 5_000)):
            results = {
                size: asyncio.run(measure(url, username, deep, args.plans)) for size, url in urls.items()
            }
            for name in results[SIZES[0]]:
                small, large = (results[size][name] for size in SIZES)
                lines.append(f"| {username} | {name} | {small:.2f} ms | {large:.2f} ms |")
        print("\n".join(lines))
    finally:
        if embedded:
            c.stop_embedded()
    return 0


if __name__ == "__main__":
    sys.exit(main())
