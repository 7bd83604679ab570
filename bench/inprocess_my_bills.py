"""My bills in one process: CPU time per request of the portal's page and of the bare page, a profile, and
the pages' HTML to compare before and after a change (issue 17).

Both apps are driven through `httpx.ASGITransport` (no server, no socket), on the 10,000-bill bench
dataset (`bench/my_bills.py` builds it), bench.holder signed in through the real form. The figure is
the process's CPU time (`time.process_time`) per request, the client included, so it is steadier than
wall time on a shared machine; it is the minimum of `--rounds` rounds, and the ratio the median of the
rounds' (each round measures the portal, then the bare page).

    .venv/bin/python bench/inprocess_my_bills.py                    # CPU ms/request, portal and bare
    .venv/bin/python bench/inprocess_my_bills.py --language es      # the Spanish page
    .venv/bin/python bench/inprocess_my_bills.py --profile 600      # cProfile of 600 portal requests
    .venv/bin/python bench/inprocess_my_bills.py --dump DIR         # the pages' HTML (en, es), tokens masked
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import os
import pstats
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import _common as c
import asyncpg
import httpx

# The pages compared by --dump: the first page, the second (keyset cursor), each filter, a filter error.
DUMPED = {
    "first": "/bills/",
    "status-paid": "/bills/?status=paid",
    "status-pending": "/bills/?status=pending",
    "status-overdue": "/bills/?status=overdue",
    "period": "/bills/?period_from_month=1&period_from_year=2025&period_to_month=6&period_to_year=2026",
    "error-period": "/bills/?period_from_month=13&period_from_year=2025&period_to_month=&period_to_year=",
    "error-account": "/bills/?account=0000000000",
    "error-status": "/bills/?status=nope",
    # Other pages of the same layouts (base.html, layouts/signed_in.html, the error pages).
    "home": "/",
    "privacy": "/privacy",
    "account-home": "/account/",
    "manage-account": "/account/manage",
    "transactions": "/account/transactions",
    "not-found": "/no-such-page",
    "not-found-bill": "/bills/2000000000",
}
# The token-like parts of a page that differ between two renders of the same page.
RAW_PROFILE = c.BENCH_DIR / "results" / "my_bills-inprocess.prof"
DEVNULL = open(os.devnull, "w")  # noqa: SIM115  # the request log's lines, formatted and thrown away
MASKED = (
    (re.compile(r'(name="_csrf_token" value=")[^"]+'), r"\1…"),
    (re.compile(r'("x-csrftoken": ")[^"]+'), r"\1…"),
    (re.compile(r'(data-session-seconds=")\d+'), r"\1…"),
)


def mask(html: str) -> str:
    for pattern, replacement in MASKED:
        html = pattern.sub(replacement, html)
    return html


async def _facts(url: str) -> dict[str, Any]:
    conn = await asyncpg.connect(url)
    try:
        user_id = await conn.fetchval("SELECT id FROM portal_user WHERE username = $1", c.HOLDER_USER)
        cursor = await conn.fetchrow(
            "SELECT b.period_start, b.id FROM bill b"
            ' JOIN account_access x ON x.account = b.account AND x."user" = $1'
            " ORDER BY b.period_start DESC, b.id DESC OFFSET 49 LIMIT 1",
            user_id,
        )
        account = await conn.fetchval(
            'SELECT a.number FROM account_access x JOIN account a ON a.id = x.account WHERE x."user" = $1'
            " ORDER BY a.number LIMIT 1",
            user_id,
        )
        bill = await conn.fetchval(
            'SELECT b.id FROM bill b JOIN account_access x ON x.account = b.account AND x."user" = $1'
            " ORDER BY b.id LIMIT 1",
            user_id,
        )
        return {
            "id": user_id,
            "bill": bill,
            "cursor": f"{cursor['period_start'].isoformat()}_{cursor['id']}",
            "account": account,
        }
    finally:
        await conn.close()


async def _sign_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/sign-in")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the sign-in page"
    answer = await client.post(
        "/sign-in",
        data={"username": c.HOLDER_USER, "password": c.BENCH_PASSWORD, "_csrf_token": token.group(1)},
    )
    assert answer.status_code == 303, f"sign-in answered {answer.status_code}"


async def _cpu_per_request(client: httpx.AsyncClient, path: str, requests: int) -> float:
    _instrument("on")
    started = time.process_time()
    for _ in range(requests):
        answer = await client.get(path)
        assert answer.status_code == 200, answer.status_code
    cpu_ms = (time.process_time() - started) * 1000 / requests
    _instrument("off")
    return cpu_ms


def _instrument(state: str) -> None:
    """Under `valgrind --tool=callgrind --instr-atstart=no` (INPROCESS_CALLGRIND=1), count the
    instructions of the measured requests only."""
    if os.environ.get("INPROCESS_CALLGRIND"):
        subprocess.run(["callgrind_control", "-i", state, str(os.getpid())], check=True, capture_output=True)


def _pages(facts: dict[str, Any]) -> dict[str, str]:
    return {
        **DUMPED,
        "second": f"/bills/?after={facts['cursor']}",
        "account": f"/bills/?account={facts['account']}",
        "account-page2": f"/bills/?account={facts['account']}&after={facts['cursor']}",
        "bill": f"/bills/{facts['bill']}",
    }


async def run(args: argparse.Namespace, url: str) -> dict[str, Any]:
    """The pages (--dump), the profile's text (--profile) or the CPU figures, as a dict."""
    facts = await _facts(url)
    import bare_app

    from portal.app import create_app
    from portal.settings import Settings

    # The bare app first: its Litestar logging config would otherwise replace the portal's (in the server
    # each has a process of its own).
    bare = bare_app.create_app()
    portal = create_app(Settings.from_env())
    # One line per request is still formatted and written, as the server does, but not to the terminal.
    logging.getLogger().handlers[0].setStream(DEVNULL)  # type: ignore[attr-defined]
    logging.getLogger("httpx").setLevel(logging.WARNING)
    async with portal.lifespan(), bare.lifespan():
        transport = httpx.ASGITransport(app=portal, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
            await _sign_in(client)
            if args.language:
                client.cookies.set("language", args.language)
            if args.dump:
                dumped: dict[str, str] = {}
                for language in ("en", "es"):
                    client.cookies.set("language", language)
                    for name, path in _pages(facts).items():
                        answer = await client.get(path)
                        dumped[f"{language}-{name}-{answer.status_code}.html"] = mask(answer.text)
                return {"pages": dumped}
            for _ in range(50):  # warm up: templates compiled, caches filled, pool connections open
                await client.get("/bills/")
            if args.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                await _cpu_per_request(client, "/bills/", args.profile)
                profiler.disable()
                profiler.dump_stats(RAW_PROFILE)  # for pstats: callers, callees
                text = io.StringIO()
                pstats.Stats(profiler, stream=text).sort_stats(args.sort).print_stats(args.lines)
                return {"profile": text.getvalue()}
        bare_transport = httpx.ASGITransport(app=bare, client=("127.0.0.1", 50001))
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client,
            httpx.AsyncClient(transport=bare_transport, base_url="http://127.0.0.1:8001") as bare_client,
        ):
            await _sign_in(client)
            if args.language:
                client.cookies.set("language", args.language)
            bare_path = f"/bills?user={facts['id']}"
            for _ in range(50):
                await bare_client.get(bare_path)
            results: dict[str, list[float]] = {"portal": [], "bare": []}
            for _ in range(args.rounds):
                if args.only != "bare":
                    results["portal"].append(await _cpu_per_request(client, "/bills/", args.requests))
                if args.only != "portal":
                    results["bare"].append(await _cpu_per_request(bare_client, bare_path, args.requests))
    return results


def main(args: argparse.Namespace) -> None:
    url = c.database_url(c.server_url()[0], c.dataset_name(10_000))
    os.environ.update(c.portal_env(url))
    sys.path.insert(0, str(Path(__file__).parent))
    RAW_PROFILE.parent.mkdir(parents=True, exist_ok=True)
    results = asyncio.run(run(args, url))
    if "pages" in results:
        out = Path(args.dump)
        out.mkdir(parents=True, exist_ok=True)
        for name, html in results["pages"].items():
            (out / name).write_text(html)
        print(f"{len(results['pages'])} pages written to {out}")
        return
    if "profile" in results:
        Path(args.profile_out).write_text(results["profile"])
        print(f"profile written to {args.profile_out} (raw: {RAW_PROFILE})")
        return
    if args.only:
        print(f"{args.only}: CPU ms/request {', '.join(f'{v:.2f}' for v in results[args.only])}")
        return
    load = os.getloadavg()
    portal_ms, bare_ms = min(results["portal"]), min(results["bare"])
    # Each round measures the portal then the bare page: the neighbours weigh on a pair alike.
    paired = statistics.median(b / p for p, b in zip(results["portal"], results["bare"], strict=True))
    print(
        f"CPU ms/request (min of {args.rounds} × {args.requests}, client included): portal {portal_ms:.2f}"
        f" ({', '.join(f'{v:.2f}' for v in results['portal'])}), bare {bare_ms:.2f}"
        f" ({', '.join(f'{v:.2f}' for v in results['bare'])});"
        f" ratio of the minimums {bare_ms / portal_ms:.0%},"
        f" median ratio of the rounds {paired:.0%}; load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--language", choices=("en", "es"))
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument("--profile-out", default="var/bench/results/my_bills-inprocess-profile.txt")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--lines", type=int, default=80)
    parser.add_argument("--dump", metavar="DIR")
    parser.add_argument(
        "--only",
        choices=("portal", "bare"),
        help="measure one page only, e.g. under callgrind: INPROCESS_CALLGRIND=1 valgrind --tool=callgrind"
        " --instr-atstart=no .venv/bin/python bench/inprocess_my_bills.py --only portal --rounds 1"
        " --requests 100: the instructions of those 100 requests, a figure the neighbours do not move",
    )
    main(parser.parse_args())
