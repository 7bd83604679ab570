"""S3 storage against the local disk (issue 17): a 1,000-bill massive download, cold and warm, on each.

    .venv/bin/python bench/storage.py [--bills 1000] [--workers 2] [--rounds 1]

The dataset and the requests are bench/downloads.py's (`portal_bench_10000`, bench.admin, real services,
real `portal worker` processes on the Postgres queue). The S3 server is SeaweedFS (tests/seaweedfs.py) on
loopback, on this machine, as a bucket in the same data centre would be. Each round runs, side by side,
once on a new empty folder (`STORAGE_URL=file:…`) and once on a new empty prefix of the bucket (`s3://…`),
the order swapped every round as this VM's speed drifts:

- cold: no PDF stored, so every one is rendered by the workers, stored, and read back into the zip;
- warm: the same bills again, every PDF stored: the zip alone (reads from storage, the upload).

Each is the wall time from Confirm until the request is ready (zip complete, email stored). Target: S3
costs at most 1.2× the local disk, cold and warm.

The S3 server runs on the same two cores as the portal's workers, and its own work (≈ 0.7 ms of CPU a
GET, ≈ 1.4 ms a PUT) is then charged to the S3 run. `--pin` keeps them apart, as a bucket on another
host would be: the workers on CPU 0 and the S3 server on CPU 1, in both runs (PostgreSQL and this
script run anywhere).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import _common as c
import downloads as d

sys.path.insert(0, str(c.ROOT))
from tests.seaweedfs import SeaweedFS  # the repository root is on the path from here on

TARGET = 1.2
WORKER_CPUS, S3_CPUS = {0}, {1}
"""--pin: where the portal's workers and the S3 server run."""
FILES = c.BENCH_DIR / "storage"


def _storage(kind: str, label: str, server: SeaweedFS) -> dict[str, str]:
    """STORAGE_URL and the AWS_* variables of a new, empty place to store into."""
    if kind == "local":
        folder = FILES / label
        folder.mkdir(parents=True)
        return {"STORAGE_URL": f"file:{folder}"}
    env = server.environment()
    return {**env, "STORAGE_URL": f"{env['STORAGE_URL']}/{label}"}


def _settings(env: dict[str, str]) -> Any:
    from portal.settings import StorageSettings

    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        return StorageSettings.from_env()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


async def _one(
    url: str, kind: str, label: str, server: SeaweedFS, args: argparse.Namespace
) -> dict[str, Any]:
    env = _storage(kind, label, server)
    bench = d.Bench(_settings(env))
    workers = d.start_workers(
        url, env, args.workers, args.concurrency, f"storage-{label}", cpus=WORKER_CPUS if args.pin else None
    )
    try:
        cold, row = await bench.download(f"bench {label} cold", args.bills)
        warm, _ = await bench.download(f"bench {label} warm", args.bills)
    finally:
        d.stop_workers(workers)
    print(f"{label}: cold {cold:.1f} s, warm {warm:.2f} s, zip {row['size_bytes'] / 1e6:.0f} MB", flush=True)
    return {"cold": cold, "warm": warm, "zip_bytes": row["size_bytes"]}


async def run(args: argparse.Namespace, url: str, server: SeaweedFS) -> dict[str, Any]:
    from portal.db import start_pool

    results: dict[str, Any] = {
        "machine": c.machine(),
        "bills": args.bills,
        "workers": args.workers,
        "concurrency": args.concurrency,
        "pinned": args.pin,
        "rounds": [],
    }
    engine = await start_pool(max_size=4)
    try:
        for number in range(args.rounds):
            order = ["local", "s3"] if number % 2 == 0 else ["s3", "local"]
            results["rounds"].append(
                {kind: await _one(url, kind, f"{kind}-{number}", server, args) for kind in order}
            )
    finally:
        await engine.close_connection_pool()
    for phase in ("cold", "warm"):
        local = statistics.mean(r["local"][phase] for r in results["rounds"])
        s3 = statistics.mean(r["s3"][phase] for r in results["rounds"])
        results[phase] = {"local": local, "s3": s3, "ratio": s3 / local}
        print(f"{phase}: local {local:.2f} s, S3 {s3:.2f} s: S3 costs {s3 / local:.2f}× the local disk")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bills", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="worker processes")
    parser.add_argument("--concurrency", type=int, default=4, help="WORKER_CONCURRENCY of each worker")
    parser.add_argument("--rounds", type=int, default=1, help="local and S3 runs each (order alternates)")
    parser.add_argument(
        "--pin", action="store_true", help="workers on CPU 0, the S3 server on CPU 1 (as on another host)"
    )
    args = parser.parse_args()
    shutil.rmtree(FILES, ignore_errors=True)
    server_url, embedded = c.server_url()
    weed = Path(tempfile.mkdtemp(prefix="bench-weed-"))
    try:
        url = d.use_dataset(server_url)
        with SeaweedFS(weed, cpus=S3_CPUS if args.pin else None) as server:
            results = asyncio.run(run(args, url, server))
    finally:
        shutil.rmtree(weed, ignore_errors=True)
        shutil.rmtree(FILES, ignore_errors=True)
        if embedded:
            c.stop_embedded()
    results["target_ratio_at_most"] = TARGET
    results["passed"] = {phase: results[phase]["ratio"] <= TARGET for phase in ("cold", "warm")}
    c.save_results("storage", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
