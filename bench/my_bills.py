"""My bills benchmarks (issue 4): throughput against a bare page, and latency at 10,000 vs 1,000,000 bills.

    .venv/bin/python bench/my_bills.py                 # both parts (builds the datasets the first time)
    .venv/bin/python bench/my_bills.py --part throughput
    .venv/bin/python bench/my_bills.py --part latency --runs 5 --seconds 8

Throughput: `portal serve` and bench/bare_app.py run side by side on the 10,000-bill database; wrk (or the
Python client) signs in once as bench.holder and requests GET /bills/ (50 rows) with 4 connections, then
the bare page (the same 50 rows from one query); runs alternate, the median of each is compared.

Latency: for each dataset, `portal serve` alone; one connection at a time (no queueing), p50 of every
request in a run, median over the runs; for bench.holder (4 accounts) and bench.admin (every account of
Benchmark Holdings): the first page, a deep page (keyset cursor), a page filtered by account and by status.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import re
import sys
import time
from dataclasses import asdict
from typing import Any

import _common as c
import asyncpg
import httpx

SMALL, LARGE = 10_000, 1_000_000
TARGET = 0.75
"""My bills requests per second against the bare page: issue 17 (issue 4 asked 60 %)."""
DEEP_ROW = {c.HOLDER_USER: 150, c.ADMIN_USER: 5_000}
"""The deep page starts at this row (the keyset cursor is the row before it): the last of bench.holder's
four pages, page 101 of bench.admin's."""


def rows_on(html: str) -> tuple[int, int]:
    """(bill rows in the table, pending bills listed) on a My bills page."""
    table = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    pending = (
        html.split('class="pending-bills"', 1)[1].split("</ul>", 1)[0] if "pending-bills" in html else ""
    )
    return table.count("<tr>"), pending.count("<li>")


async def _user_facts(url: str) -> dict[str, dict[str, Any]]:
    conn = await asyncpg.connect(url)
    try:
        facts: dict[str, dict[str, Any]] = {}
        for username, deep in DEEP_ROW.items():
            user_id = await conn.fetchval("SELECT id FROM portal_user WHERE username = $1", username)
            cursor = await conn.fetchrow(
                "SELECT b.period_start, b.id FROM bill b"
                ' JOIN account_access x ON x.account = b.account AND x."user" = $1'
                " ORDER BY b.period_start DESC, b.id DESC OFFSET $2 LIMIT 1",
                user_id,
                deep - 1,
            )
            account = await conn.fetchval(
                'SELECT a.number FROM account_access x JOIN account a ON a.id = x.account WHERE x."user" = $1'
                " ORDER BY a.number LIMIT 1",
                user_id,
            )
            facts[username] = {
                "id": user_id,
                "accounts": await conn.fetchval(
                    'SELECT count(*) FROM account_access WHERE "user" = $1', user_id
                ),
                "cursor": f"{cursor['period_start'].isoformat()}_{cursor['id']}",
                "account": account,
            }
        facts["_bills"] = {"count": await conn.fetchval("SELECT count(*) FROM bill")}
        return facts
    finally:
        await conn.close()


def check_page(url: str, cookie: str | None) -> dict[str, int]:
    answer = httpx.get(url, headers={"cookie": cookie} if cookie else {}, timeout=120)
    if answer.status_code != 200:
        raise RuntimeError(f"GET {url} answered {answer.status_code}")
    rows, pending = rows_on(answer.text)
    return {"rows": rows, "pending": pending, "bytes": len(answer.content)}


def throughput(server: str, args: argparse.Namespace) -> dict[str, Any]:
    dataset = c.ensure_dataset(server, SMALL, rebuild=args.rebuild)
    facts = asyncio.run(_user_facts(dataset.url))
    with c.server("portal", dataset.url) as portal, c.server("bare", dataset.url) as bare:
        cookie = c.sign_in(portal.base, c.HOLDER_USER)
        servers = {"portal": portal, "bare": bare}
        urls = {
            "portal": (f"{portal.base}/bills/", cookie),
            "bare": (f"{bare.base}/bills?user={facts[c.HOLDER_USER]['id']}", None),
        }
        pages = {name: check_page(url, ck) for name, (url, ck) in urls.items()}
        for name, page in pages.items():
            assert page["rows"] == 50, f"{name} rendered {page['rows']} rows, not 50"
        for url, ck in urls.values():  # warm up: imports, template compilation, the pool's connections
            c.load(url, ck, connections=args.connections, seconds=3)
        runs: dict[str, list[dict[str, Any]]] = {"portal": [], "bare": []}
        for run in range(args.runs):
            for name, (url, ck) in urls.items():
                cpu = servers[name].cpu_seconds()
                result = c.load(url, ck, connections=args.connections, seconds=args.seconds)
                cpu_ms = (servers[name].cpu_seconds() - cpu) * 1000 / result.requests
                runs[name].append({**asdict(result), "server_cpu_ms": cpu_ms})
                print(
                    f"throughput run {run + 1} {name}: {result.rps:.0f} req/s, p50 {result.p50_ms:.1f} ms,"
                    f" server CPU {cpu_ms:.2f} ms/request",
                    file=sys.stderr,
                )
    rps = {name: c.median([r["rps"] for r in results]) for name, results in runs.items()}
    cpu_ms = {name: c.median([r["server_cpu_ms"] for r in results]) for name, results in runs.items()}
    return {
        "pages": pages,
        "runs": runs,
        "median_rps": rps,
        "median_server_cpu_ms": cpu_ms,
        "cpu_ratio": cpu_ms["bare"] / cpu_ms["portal"],
        "ratio": rps["portal"] / rps["bare"],
        "target": TARGET,
        "pass": rps["portal"] / rps["bare"] >= TARGET,
    }


def _scenarios(facts: dict[str, Any], username: str) -> dict[str, str]:
    user = facts[username]
    return {
        "first page": "/bills/",
        f"deep page (row {DEEP_ROW[username]})": f"/bills/?after={user['cursor']}",
        "filter: account": f"/bills/?account={user['account']}",
        "filter: status paid": "/bills/?status=paid",
        "filter: status pending": "/bills/?status=pending",
    }


def latency(server: str, args: argparse.Namespace) -> dict[str, Any]:
    """Both datasets are served at once (one `portal serve` each) and their runs alternate, so that the
    machine's other work weighs on both the same way."""
    sizes = (SMALL, args.large)
    datasets = {size: c.ensure_dataset(server, size, rebuild=args.rebuild) for size in sizes}
    facts = {size: asyncio.run(_user_facts(dataset.url)) for size, dataset in datasets.items()}
    out: dict[str, Any] = {
        "datasets": {
            str(size): {"facts": facts[size], "build_seconds": datasets[size].build_seconds, "scenarios": {}}
            for size in sizes
        }
    }
    with (
        c.server("portal", datasets[SMALL].url) as small,
        c.server("portal", datasets[args.large].url) as large,
    ):
        bases = {SMALL: small.base, args.large: large.base}
        for username in args.users.split(","):
            cookies = {size: c.sign_in(base, username) for size, base in bases.items()}
            paths = {size: _scenarios(facts[size], username) for size in sizes}
            for label in paths[SMALL]:
                urls = {size: f"{bases[size]}{paths[size][label]}" for size in sizes}
                pages = {size: check_page(urls[size], cookies[size]) for size in sizes}
                started = time.perf_counter()
                for size in sizes:  # warm-up: plans cached, pool connections open
                    check_page(urls[size], cookies[size])
                # Slow pages get longer runs: at least about 5 requests per run.
                seconds = round(max(args.seconds, 5 * (time.perf_counter() - started) / 2), 1)
                p50s: dict[int, list[float]] = {size: [] for size in sizes}
                for _ in range(args.runs):
                    for size in sizes:
                        result = c.load(urls[size], cookies[size], connections=1, seconds=seconds)
                        p50s[size].append(result.p50_ms)
                key = f"{username} | {label}"
                for size in sizes:
                    out["datasets"][str(size)]["scenarios"][key] = {
                        "page": pages[size],
                        "p50s": p50s[size],
                        "p50_ms": c.median(p50s[size]),
                        "path": paths[size][label],
                    }
                print(
                    f"latency {key}: p50 "
                    + ", ".join(f"{size}: {c.median(p50s[size]):.1f} ms {pages[size]}" for size in sizes),
                    file=sys.stderr,
                )
    small_results = out["datasets"][str(SMALL)]["scenarios"]
    large_results = out["datasets"][str(args.large)]["scenarios"]
    out["ratios"] = {
        key: large_results[key]["p50_ms"] / small_results[key]["p50_ms"] for key in small_results
    }
    out["target"] = 1.25
    return out


def report(results: dict[str, Any]) -> str:
    lines = [
        f"# My bills benchmark, {results['date']}",
        f"Machine: {results['machine']}",
        f"Load: {results['load']}",
        "",
    ]
    if "throughput" in results:
        t = results["throughput"]
        lines += [
            "## Throughput (10,000 bills, bench.holder, GET /bills/)",
            "| page | median req/s | runs (req/s) | p50 ms | server CPU ms/request | bytes |",
            "|---|---|---|---|---|---|",
        ]
        for name in ("portal", "bare"):
            rps = ", ".join(f"{r['rps']:.0f}" for r in t["runs"][name])
            p50 = c.median([r["p50_ms"] for r in t["runs"][name]])
            lines.append(
                f"| {name} | {t['median_rps'][name]:.0f} | {rps} | {p50:.1f}"
                f" | {t['median_server_cpu_ms'][name]:.2f} | {t['pages'][name]['bytes']} |"
            )
        verdict = "PASS" if t["pass"] else "MISS"
        lines += [
            "",
            f"Ratio My bills / bare, req/s: {t['ratio']:.0%} (target ≥ {TARGET:.0%}): {verdict}",
            f"Same ratio from the server's CPU time per request (bare / My bills): {t['cpu_ratio']:.0%}",
            "",
        ]
    if "latency" in results:
        lat = results["latency"]
        sizes = list(lat["datasets"])
        lines += [
            f"## Latency p50 (one connection), {sizes[0]} vs {sizes[1]} bills",
            f"| user | page | p50 {sizes[0]} | p50 {sizes[1]} | ratio | target ≤ 1.25"
            f" | rows + pending shown ({sizes[0]} / {sizes[1]}) |",
            "|---|---|---|---|---|---|---|",
        ]
        for key, ratio in lat["ratios"].items():
            a, b = (lat["datasets"][s]["scenarios"][key] for s in sizes)
            shown = f"{a['page']['rows']}+{a['page']['pending']} / {b['page']['rows']}+{b['page']['pending']}"
            verdict = "PASS" if ratio <= 1.25 else "MISS"
            lines.append(
                f"| {key} | {a['p50_ms']:.1f} ms | {b['p50_ms']:.1f} ms | {ratio:.2f} | {verdict} | {shown} |"
            )
        for size in sizes:
            facts = lat["datasets"][size]["facts"]
            lines.append(
                f"\n{size}: {facts['_bills']['count']} bills; bench.holder sees"
                f" {facts[c.HOLDER_USER]['accounts']} accounts, bench.admin {facts[c.ADMIN_USER]['accounts']}"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", choices=("all", "throughput", "latency"), default="all")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (the median is reported)")
    parser.add_argument("--seconds", type=float, default=10, help="length of each throughput run")
    parser.add_argument("--latency-seconds", type=float, default=5, help="length of each latency run")
    parser.add_argument("--connections", type=int, default=4, help="concurrent connections for throughput")
    parser.add_argument("--large", type=int, default=LARGE, help="bills in the large dataset")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the datasets even if they exist")
    parser.add_argument(
        "--users", default=f"{c.HOLDER_USER},{c.ADMIN_USER}", help="latency: the bench users to measure"
    )
    args = parser.parse_args()
    server, embedded = c.server_url()
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": c.machine(),
        "load": "wrk 1 thread" if c.use_wrk() else "bench/_common.py asyncio client",
        "database": "embedded pgserver (var/bench/pg)" if embedded else re.sub(r"//[^@/]*@", "//…@", server),
    }
    try:
        if args.part in ("all", "throughput"):
            results["throughput"] = throughput(server, args)
        if args.part in ("all", "latency"):
            args.seconds = args.latency_seconds
            results["latency"] = latency(server, args)
    finally:
        if embedded:
            c.stop_embedded()
    out = c.BENCH_DIR / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    (out / f"my_bills-{stamp}.json").write_text(json.dumps(results, indent=2, default=str))
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
