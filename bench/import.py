"""`portal import` of N bills (on N/50 accounts of one company) against `portal demo --bills N`, side by side.

Issue 16: importing 1,000,000 bills with their 20,000 accounts from JSON Lines takes at most twice
`portal demo --bills 1000000` on the same machine, and the importer's RSS stays under 300 MB whatever the
file's size. Each command runs as the operator runs it (a process of its own) on a fresh, migrated
database of its own; its wall time and peak RSS (sampled every 50 ms with psutil) are reported. The
import runs with `--no-render`: rendering is the workers' (issuing), measured by bench/downloads.py.

    .venv/bin/python bench/import.py --bills 20000 [--runs 3] [--keep-file]

`--issuing N`: instead, issuing's render yardstick. N bills imported with `--no-render`, then the run's
render jobs queued exactly as the importer's issuing queues them (`portal.imports.issuing.queue_renders`)
for W worker processes already running (`--workers W`, 2 by default); the wall time until every PDF is
stored, against N × one bill's render ÷ W (one bill's render: the mean of 20 of those bills rendered one
after another in this process, as bench/downloads.py measures it). Target ≤ 1.15 with 2; the workers'
peak RSS (target ≤ 300 MB). Then a massive download of those N bills by an administrator who sees them:
Confirm → ready, target ≤ 5 s. Issue 17's scaling: the bills a second with `--workers 1`, then 2.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import _common as c
import asyncpg
import psutil

from portal.banking.accounts import account_number

BILLS_PER_ACCOUNT = 50
HOLDER = "A28999993"  # the CIF of "Benchmark Holdings, S.A.", as `portal demo --bills N` uses
FIRST_ACCOUNT = 800_000_001


def _line(kind: str, description: str, quantity: int, unit_cents: int) -> dict[str, str]:
    return {
        "kind": kind, "description": description, "quantity": str(quantity),
        "unit_price": _euros(unit_cents), "amount": _euros(quantity * unit_cents),
    }  # fmt: skip


def _euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def write_file(path: Path, bills: int) -> None:
    """N bills of a domestic tariff, 50 a month per account, in the order a billing system exports them:
    the customer, then each account followed by its bills."""
    start = dt.date(2022, 1, 1)
    with path.open("w", encoding="utf-8") as out:
        customer = {
            "type": "customer",
            "identity": HOLDER,
            "kind": "company",
            "name": "Benchmark Holdings, S.A.",
        }
        out.write(json.dumps(customer) + "\n")
        serial = 1
        for index in range((bills + BILLS_PER_ACCOUNT - 1) // BILLS_PER_ACCOUNT):
            number = account_number(FIRST_ACCOUNT + index)
            account = {
                "type": "account", "number": number, "holder": HOLDER, "tariff": "Domestic",
                "supply_address": f"Calle de la Prueba {index + 1}, 46980 Paterna", "payment_method": "none",
            }  # fmt: skip
            out.write(json.dumps(account) + "\n")
            reading = 1000
            for month in range(min(BILLS_PER_ACCOUNT, bills - index * BILLS_PER_ACCOUNT)):
                consumption = 6 + (index + month) % 9
                lines = [
                    _line("fixed", "Service charge (monthly)", 1, 675),
                    _line("consumption", "Water 0–10 m³", consumption, 58),
                    _line("sewage", "Sewage", consumption, 52),
                ]
                taxable = 675 + consumption * 110
                vat = (taxable + 5) // 10
                lines.append(_line("vat", "VAT 10%", 1, vat))
                period = start.replace(year=start.year + month // 12, month=month % 12 + 1)
                bill = {
                    "type": "bill", "number": f"BI{serial:011d}", "account": number,
                    "issue_date": (period + dt.timedelta(days=35)).isoformat(),
                    "due_date": (period + dt.timedelta(days=55)).isoformat(),
                    "period_start": period.isoformat(),
                    "period_end": (period + dt.timedelta(days=27)).isoformat(),
                    "reading_previous": reading, "reading_current": reading + consumption, "lines": lines,
                    "taxable": _euros(taxable), "vat": _euros(vat), "total": _euros(taxable + vat),
                    "status": "paid", "paid_at": f"{(period + dt.timedelta(days=40)).isoformat()}T09:30:00Z",
                }  # fmt: skip
                out.write(json.dumps(bill, ensure_ascii=False) + "\n")
                reading += consumption
                serial += 1


def timed(command: list[str], env: dict[str, str]) -> dict[str, float]:
    """Wall seconds and peak RSS (MB) of a command, sampled while it runs."""
    started = time.perf_counter()
    process = psutil.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        try:
            peak = max(peak, process.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    output = process.stdout.read().decode() if process.stdout else ""
    if process.returncode not in (0,):
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{output}")
    return {
        "seconds": seconds,
        "rss_mb": peak / 1e6,
        "last_line": output.strip().splitlines()[-1] if output else "",
    }


def fresh_database(server: str, name: str) -> str:
    asyncio.run(c.recreate(server, name))
    url = c.database_url(server, name)
    subprocess.run([sys.executable, "-m", "portal.cli", "db", "migrate"], env=c.portal_env(url), check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    return url


async def _issuing(url: str, bills: int, storage: Path, worker_count: int) -> dict[str, Any]:
    import shutil

    import downloads

    from portal.bills import pdf as bill_pdf
    from portal.db.tables import Bill
    from portal.imports import issuing
    from portal.infra.queue import make_queue

    bench = downloads.Bench(storage)
    rows = await Bill.raw("SELECT id, number FROM bill ORDER BY id LIMIT 21")
    scratch = c.BENCH_DIR / "import-scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    times, _ = await bench.render_time([(r["id"], r["number"]) for r in rows[1:]], rows[0]["id"], scratch)
    one = sum(times) / len(times)
    workers = downloads.start_workers(url, storage, worker_count, 4, name="import")
    try:
        queue = make_queue(bench.settings, max_connections=2)
        await queue.connect()
        connection = await asyncpg.connect(url)
        try:
            run_id = await connection.fetchval("SELECT max(id) FROM import_run")
            started = time.perf_counter()
            jobs = await issuing.queue_renders(connection, run_id, queue)
            numbers = [row["number"] for row in await Bill.raw("SELECT number FROM bill")]
            processes = [psutil.Process(worker.pid) for worker in workers]
            peak_rss = 0
            # Issuing prints the default language (English).
            while not all((storage / bill_pdf.key(number, "en")).exists() for number in numbers):
                peak_rss = max(peak_rss, *(process.memory_info().rss for process in processes))
                await asyncio.sleep(0.1)
            seconds = time.perf_counter() - started
        finally:
            await connection.close()
            await queue.disconnect()
        # Then a massive download of those bills, as bench.admin asks for it: Confirm → ready, every PDF
        # already stored.
        await c._add_bench_users(url, bills, seconds)
        download_seconds, _ = await bench.download("after issuing", bills)
    finally:
        downloads.stop_workers(workers)
    ideal = bills * one / worker_count
    return {
        "bills": bills,
        "workers": worker_count,
        "bills_per_second": bills / seconds,
        "jobs": jobs,
        "one_render": one,
        "seconds": seconds,
        "ideal": ideal,
        "ratio": seconds / ideal,
        "worker_peak_rss_mb": peak_rss / 1e6,
        "download_after_issuing_seconds": download_seconds,
    }


def issuing_part(server: str, bills: int, worker_count: int) -> None:
    import os
    import shutil

    url = fresh_database(server, "portal_bench_import_issuing")
    c.BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = c.BENCH_DIR / f"import-issuing-{bills}.jsonl"
    write_file(path, bills)
    storage = c.BENCH_DIR / "import-files"
    shutil.rmtree(storage, ignore_errors=True)
    try:
        timed([sys.executable, "-m", "portal.cli", "import", str(path), "--no-render"], c.portal_env(url))
    finally:
        path.unlink(missing_ok=True)
    os.environ.update(DATABASE_URL=url, PICCOLO_CONF="portal.db.piccolo_conf", PORTAL_ENV="development")
    os.environ.pop("QUEUE_URL", None)
    results = asyncio.run(_issuing(url, bills, storage, worker_count))
    results["machine"] = c.machine()
    print(
        f"issuing {bills} bills with {worker_count} worker processes: {results['seconds']:.1f} s"
        f" ({results['bills_per_second']:.2f} bills/s) in {results['jobs']} render jobs;"
        f" one bill's render {results['one_render']:.3f} s; ideal {results['ideal']:.1f} s;"
        f" ratio {results['ratio']:.2f} (target ≤ 1.15);"
        f" worker peak RSS {results['worker_peak_rss_mb']:.0f} MB (target ≤ 300)"
        f"\nmassive download of those {bills} bills after issuing, Confirm → ready:"
        f" {results['download_after_issuing_seconds']:.1f} s (target ≤ 5)\n{results['machine']}"
    )
    out = c.BENCH_DIR / "results" / f"import-issuing-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bills", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep-file", action="store_true", help="keep the generated JSON Lines file")
    parser.add_argument("--issuing", type=int, default=0, metavar="N", help="issuing's render yardstick")
    parser.add_argument(
        "--workers", type=int, default=2, help="worker processes for --issuing (1 then 2: issue 17's scaling)"
    )
    args = parser.parse_args()
    server, embedded = c.server_url()
    if args.issuing:
        try:
            issuing_part(server, args.issuing, args.workers)
        finally:
            if embedded:
                c.stop_embedded()
        return
    c.BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = c.BENCH_DIR / f"import-{args.bills}.jsonl"
    try:
        generating = time.perf_counter()
        write_file(path, args.bills)
        print(
            f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - generating:.1f} s"
        )
        runs: dict[str, list[dict[str, Any]]] = {"demo": [], "import": []}
        for _ in range(args.runs):  # alternated, so that a busy spell of the machine hits both
            url = fresh_database(server, "portal_bench_import_demo")
            demo = [sys.executable, "-m", "portal.cli", "demo", "--bills", str(args.bills)]
            runs["demo"].append(timed(demo, c.portal_env(url)))
            url = fresh_database(server, "portal_bench_import")
            command = [
                sys.executable,
                "-m",
                "portal.cli",
                "import",
                str(path),
                "--no-render",
                "--by",
                "bench",
            ]
            runs["import"].append(timed(command, c.portal_env(url)))
        results = {
            "bills": args.bills,
            "accounts": (args.bills + BILLS_PER_ACCOUNT - 1) // BILLS_PER_ACCOUNT,
            "machine": c.machine(),
            "runs": runs,
            "demo_seconds": c.median([r["seconds"] for r in runs["demo"]]),
            "import_seconds": c.median([r["seconds"] for r in runs["import"]]),
            "import_rss_mb": max(r["rss_mb"] for r in runs["import"]),
            "demo_rss_mb": max(r["rss_mb"] for r in runs["demo"]),
        }
        results["ratio"] = results["import_seconds"] / results["demo_seconds"]
        print(
            f"\n| {args.bills:,} bills | seconds (median of {args.runs}) | peak RSS MB |\n|---|---|---|\n"
            f"| `portal demo --bills N` | {results['demo_seconds']:.1f} | {results['demo_rss_mb']:.0f} |\n"
            f"| `portal import` | {results['import_seconds']:.1f} | {results['import_rss_mb']:.0f} |\n\n"
            f"import ÷ demo = {results['ratio']:.2f} (target ≤ 2); importer RSS target ≤ 300 MB\n"
            f"last line of the import: {runs['import'][-1]['last_line']}\n{results['machine']}"
        )
        out = c.BENCH_DIR / "results" / f"import-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2))
    finally:
        if not args.keep_file:
            path.unlink(missing_ok=True)
        if embedded:
            c.stop_embedded()


if __name__ == "__main__":
    main()
