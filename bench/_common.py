"""Shared plumbing of the benchmarks: the database server, the datasets, the servers under test, the load.

The database server is the embedded PostgreSQL under ``var/bench/pg`` (the same ``pgserver`` wheel
``portal run`` uses) unless ``BENCH_PG`` names another server, e.g.
``BENCH_PG=postgresql://postgres@127.0.0.1:5432/postgres``. Each dataset lives in a database of its own
on that server (``portal_bench_10000``, ``portal_bench_1000000``) that is built once with the real
``portal db migrate`` and ``portal demo --bills N``, and reused by later runs (``--rebuild`` forces it).

The load comes from ``wrk`` when it is on the PATH (``apt-get install wrk``), otherwise from the small
asyncio HTTP/1.1 client below; both run in a process of their own and keep their connections open.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "var" / "bench"
EMBEDDED_DIR = BENCH_DIR / "pg"
LOG_DIR = BENCH_DIR / "logs"

BENCH_PASSWORD = "bench-password-not-secret"
HOLDER_USER = "bench.holder"
ADMIN_USER = "bench.admin"
HOLDER_ACCOUNTS = 4
"""bench.holder sees the first 4 accounts of Benchmark Holdings (200 bills: four pages), like a customer
with a few supplies; bench.admin sees every one of them (200 accounts per 10,000 bills)."""


# --- Database server and datasets ------------------------------------------------------------------------


def server_url() -> tuple[str, bool]:
    """The PostgreSQL server's URL (its maintenance database), and whether it is the embedded one."""
    configured = os.environ.get("BENCH_PG", "").strip()
    if configured and configured != "embedded":
        return configured, False
    from portal.db import embedded

    return embedded.start(EMBEDDED_DIR), True


def stop_embedded() -> None:
    from portal.db import embedded

    embedded.stop(EMBEDDED_DIR)


def database_url(server: str, name: str) -> str:
    parts = urlsplit(server)
    return urlunsplit(parts._replace(path=f"/{name}"))


def dataset_name(bills: int) -> str:
    return f"portal_bench_{bills}"


@dataclass(frozen=True)
class Dataset:
    bills: int
    url: str
    build_seconds: float | None
    """How long `portal demo --bills N` took when the dataset was built (None: unknown)."""


async def _dataset_ready(server: str, name: str, bills: int) -> float | bool | None:
    admin = await asyncpg.connect(server)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
    finally:
        await admin.close()
    if not exists:
        return False
    conn = await asyncpg.connect(database_url(server, name))
    try:
        if not await conn.fetchval("SELECT to_regclass('bench_dataset') IS NOT NULL"):
            return False
        row = await conn.fetchrow("SELECT bills, seconds FROM bench_dataset")
        if row is None or row["bills"] != bills:
            return False
        seconds: float | None = row["seconds"]
        return seconds
    finally:
        await conn.close()


async def recreate(server: str, name: str) -> None:
    """The database `name` on `server`, dropped if it was there and made again, empty."""
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


def portal_env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"QUEUE_URL", "PORTAL_PGDATA"}}
    env.update(
        DATABASE_URL=url,
        # Not development: the portal as production runs it where a request's cost is concerned (templates
        # compiled once, no check of their files on every page). Not production either, whose settings
        # refuse a plain-http BASE_URL: its cookies would be Secure, and the load clients speak http.
        PORTAL_ENV="test",
        STORAGE_DIR=str(BENCH_DIR / "files"),
        PYTHONWARNINGS="ignore",
        # For bench/bare_app.py; `portal serve` and `portal worker` set it themselves (portal.cli).
        PICCOLO_CONF="portal.db.piccolo_conf",
        **extra,
    )
    return env


def ensure_dataset(server: str, bills: int, *, rebuild: bool = False) -> Dataset:
    """The database with exactly `bills` scale bills and the two bench users; built if needed."""
    name = dataset_name(bills)
    url = database_url(server, name)
    ready = False if rebuild else asyncio.run(_dataset_ready(server, name, bills))
    if ready is not False:
        # Migrations added since the dataset was built (new tables) must be there for the server.
        subprocess.run(
            [sys.executable, "-m", "portal.cli", "db", "migrate"],
            env=portal_env(url),
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        return Dataset(bills, url, None if ready is True else ready)
    print(f"Building {name}: portal db migrate, portal demo --bills {bills} …", file=sys.stderr, flush=True)
    asyncio.run(recreate(server, name))
    env = portal_env(url)
    subprocess.run([sys.executable, "-m", "portal.cli", "db", "migrate"], env=env, check=True, cwd=ROOT)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "portal.cli", "demo", "--bills", str(bills)], env=env, check=True, cwd=ROOT
    )
    seconds = time.perf_counter() - started
    asyncio.run(_add_bench_users(url, bills, seconds))
    print(f"Built {name} in {seconds:.0f} s (bill generation).", file=sys.stderr, flush=True)
    return Dataset(bills, url, seconds)


async def _add_bench_users(url: str, bills: int, seconds: float) -> None:
    """bench.holder and bench.admin with account_access rows to the Benchmark Holdings accounts (which
    `portal demo --bills` gives to nobody), then VACUUM ANALYZE and the marker table."""
    from argon2 import PasswordHasher

    from portal.demo.scale import SCALE_HOLDER_CIF

    password_hash = PasswordHasher().hash(BENCH_PASSWORD)
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            holder = await conn.fetchval(
                "SELECT id FROM customer WHERE identity_number = $1", SCALE_HOLDER_CIF
            )
            users = {}
            for username, kind, customer in (
                (HOLDER_USER, "company", holder),
                (ADMIN_USER, "administrator", None),
            ):
                users[username] = await conn.fetchval(
                    "INSERT INTO portal_user (username, email, kind, customer, password_hash, activated_at,"
                    " online_bill, privacy_policy_version, privacy_accepted_at, created_at)"
                    " VALUES ($1, $2, $3, $4, $5, now(), true, '2026-11', now(), now()) RETURNING id",
                    username,
                    f"{username}@example.com",
                    kind,
                    customer,
                    password_hash,
                )
            await conn.execute(
                'INSERT INTO account_access ("user", account, role, created_at)'
                " SELECT $1, id, 'holder', now() FROM account WHERE customer = $2 ORDER BY number LIMIT $3",
                users[HOLDER_USER],
                holder,
                HOLDER_ACCOUNTS,
            )
            await conn.execute(
                'INSERT INTO account_access ("user", account, role, created_at)'
                " SELECT $1, id, 'administrator', now() FROM account WHERE customer = $2",
                users[ADMIN_USER],
                holder,
            )
        await conn.execute("VACUUM ANALYZE")
        await conn.execute("CREATE TABLE bench_dataset (bills integer, seconds double precision)")
        await conn.execute("INSERT INTO bench_dataset VALUES ($1, $2)", bills, seconds)
    finally:
        await conn.close()


# --- Servers under test -----------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    base: str
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used so far: unlike wall time, it hardly
        depends on what else the machine is doing."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def server(kind: str, url: str, *, port: int | None = None) -> Iterator[Server]:
    """`portal serve` (the real command, one worker as `portal run` starts it) or the bare app, on a free
    port; yields it and stops it (SIGTERM) afterwards. With one worker uvicorn serves in this process."""
    port = port or free_port()
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    if kind == "portal":
        command = [sys.executable, "-m", "portal.cli", "serve", "--workers", "1"]
    else:
        command = [sys.executable, str(ROOT / "bench" / "bare_app.py"), "--workers", "1"]
    log = (LOG_DIR / f"{kind}-{port}.log").open("wb")
    process = subprocess.Popen(
        command,
        env=portal_env(url, PORT=str(port), HOST="127.0.0.1"),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"The {kind} server stopped; see {log.name}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"The {kind} server did not start in 60 s; see {log.name}")
            time.sleep(0.2)
        yield Server(base, process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def sign_in(base: str, username: str) -> str:
    """Sign in once through the real form (CSRF included); the cookies to send with every request."""
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
        page = client.get("/sign-in")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        assert token, "no CSRF token on the sign-in page"
        answer = client.post(
            "/sign-in",
            data={"username": username, "password": BENCH_PASSWORD, "_csrf_token": token.group(1)},
        )
        assert answer.status_code == 303, f"sign-in answered {answer.status_code}"
        assert client.cookies.get("session"), "no session cookie after sign-in"
        # Every cookie, as a browser sends them back: without the CSRF cookie each page would mint a new one.
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


# --- Load -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    assert match, f"unexpected wrk duration {text!r}"
    return float(match.group(1)) * _UNITS[match.group(2)]


def use_wrk() -> bool:
    return os.environ.get("BENCH_LOAD", "").strip() != "python" and shutil.which("wrk") is not None


def load(url: str, cookie: str | None, *, connections: int, seconds: float) -> Load:
    """Requests per second and latency percentiles of GET url for `seconds`, `connections` at once."""
    if use_wrk():
        return _wrk(url, cookie, connections, seconds)
    return asyncio.run(_python_load(url, cookie, connections, seconds))


def _wrk(url: str, cookie: str | None, connections: int, seconds: float) -> Load:
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, math.ceil(seconds))}s",
        "--latency",
        "--timeout",
        "30s",
    ]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    percentiles = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    if "50" not in percentiles:
        raise RuntimeError(f"wrk completed no request in {seconds:g} s (lengthen the run):\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return Load(
        requests=requests,
        seconds=seconds,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=_ms(percentiles["50"]),
        p90_ms=_ms(percentiles["90"]),
        p99_ms=_ms(percentiles["99"]),
    )


async def _python_load(url: str, cookie: str | None, connections: int, seconds: float) -> Load:
    """Keep-alive HTTP/1.1 GETs over raw asyncio streams (little client overhead), one task per connection."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        + (f"Cookie: {cookie}\r\n" if cookie else "")
        + "\r\n"
    ).encode()
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                if status >= 400:
                    raise RuntimeError(f"GET {url} answered {status}")
                length = re.search(rb"(?i)content-length:\s*(\d+)", head)
                if length:
                    await reader.readexactly(int(length.group(1)))
                else:  # chunked
                    while True:
                        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                        await reader.readexactly(size + 2)
                        if size == 0:
                            break
                latencies.append((time.perf_counter() - started) * 1000)
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - began
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return Load(len(latencies), elapsed, len(latencies) / elapsed, cuts[49], cuts[89], cuts[98])


def save_results(name: str, results: dict[str, Any]) -> None:
    """Write a benchmark's results to var/bench/results/<name>-<local time>.json, and print its targets'
    verdicts (`results["passed"]`) with the file's path."""
    out = BENCH_DIR / "results" / f"{name}-{dt.datetime.now():%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results["passed"]), f"→ {out.relative_to(ROOT)}")


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load1 = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} cores ({cpu}), load average {load1:.1f} at start, Python {sys.version.split()[0]}"
    )
