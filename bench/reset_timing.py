""" "Forgotten your password?": how long the answer takes for a user that exists and for one that does not
(security finding F9: the difference told which usernames and emails exist).

    .venv/bin/python bench/reset_timing.py [--requests 400] [--settle 50]

The real `portal serve` (one worker, as `portal run` starts it) on a database of its own,
``portal_bench_reset``, made again each run with the real `portal db migrate` and `portal demo`. One
keep-alive connection posts the form as a browser does (CSRF included), alternating the demo's
ana.demo (known) and nobody.here (unknown), and times two things per request: the answer (the 303), and
the answer with the page it leads to (`/password/forgotten/sent`, asked for on the same connection at
once, as a browser follows it). Before each request the throttles' counts are emptied, so that every
known request makes and stores a link and none is refused, and the server is left idle: the last
request's audit event is written (the work after the answer is done), then `--settle` milliseconds more
for what the server and the database still finish after it; `--settle 0` shows what is left of that.

Not `httpx.ASGITransport` in this process: it answers only once the app has returned, so it would time
the work after the answer too. To measure the code before a change, run it against that checkout's
sources: ``PYTHONPATH=<checkout>/src .venv/bin/python bench/reset_timing.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import subprocess
import sys
import time

import _common as c
import asyncpg
import httpx

DATABASE = "portal_bench_reset"
KNOWN, UNKNOWN = "ana.demo", "nobody.here"
WARM_UP = 20


def prepare(server: str) -> str:
    """The database, empty, migrated, with the demo data."""
    url = c.database_url(server, DATABASE)
    asyncio.run(c.recreate(server, DATABASE))
    for command in (["db", "migrate"], ["demo"]):
        subprocess.run(
            [sys.executable, "-m", "portal.cli", *command],
            env=c.portal_env(url),
            check=True,
            cwd=c.ROOT,
            stdout=subprocess.DEVNULL,
        )
    return url


async def measure(base: str, url: str, requests: int, settle: float) -> dict[str, dict[str, list[float]]]:
    """Milliseconds per kind (known, unknown): the answer alone, and the answer with the next page."""
    times: dict[str, dict[str, list[float]]] = {
        kind: {"answer": [], "with_next_page": []} for kind in ("known", "unknown")
    }
    db = await asyncpg.connect(url)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            form = await client.get("/password/forgotten")
            token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
            assert token, "no CSRF token on the page"
            for number in range(WARM_UP + requests):
                kind, login = ("known", KNOWN) if number % 2 == 0 else ("unknown", UNKNOWN)
                await db.execute("DELETE FROM attempt")
                events = await db.fetchval("SELECT count(*) FROM audit_event")
                started = time.perf_counter()
                answer = await client.post(
                    "/password/forgotten", data={"login": login, "_csrf_token": token.group(1)}
                )
                answered = time.perf_counter()
                assert answer.status_code == 303, answer.text
                page = await client.get(answer.headers["location"])
                finished = time.perf_counter()
                assert page.status_code == 200, page.status_code
                # Idle again before the next one: its audit event is the last thing the request writes.
                while await db.fetchval("SELECT count(*) FROM audit_event") <= events:  # noqa: ASYNC110
                    await asyncio.sleep(0.002)
                await asyncio.sleep(settle / 1000)
                if number >= WARM_UP:
                    times[kind]["answer"].append((answered - started) * 1000)
                    times[kind]["with_next_page"].append((finished - started) * 1000)
    finally:
        await db.close()
    return times


def summary(values: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(values, n=10)
    return {"median": round(statistics.median(values), 2), "p90": round(cuts[8], 2)}


def main(args: argparse.Namespace) -> None:
    server, embedded = c.server_url()
    try:
        url = prepare(server)
        with c.server("portal", url) as portal:
            times = asyncio.run(measure(portal.base, url, args.requests, args.settle))
    finally:
        if embedded:
            c.stop_embedded()
    figures = {kind: {what: summary(v) for what, v in parts.items()} for kind, parts in times.items()}
    print(f"{args.requests // 2} requests per kind, settle {args.settle:g} ms; {c.machine()}\n")
    print("| timed | known: median | p90 | unknown: median | p90 | difference of the medians |")
    print("|---|---|---|---|---|---|")
    for what, label in (("answer", "the answer (303)"), ("with_next_page", "the answer and the next page")):
        known, unknown = figures["known"][what], figures["unknown"][what]
        print(
            f"| {label} | {known['median']} ms | {known['p90']} ms | {unknown['median']} ms"
            f" | {unknown['p90']} ms | {known['median'] - unknown['median']:+.2f} ms |"
        )
    out = c.BENCH_DIR / "results" / f"reset_timing-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {"requests": args.requests, "settle_ms": args.settle, "figures": figures, "ms": times}, indent=2
        )
    )
    print(f"\n→ {out.relative_to(c.ROOT)}")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=400, help="measured requests, half of each kind")
    parser.add_argument("--settle", type=float, default=50, help="ms of idle server before each request")
    return parser.parse_args()


if __name__ == "__main__":
    main(parse())
