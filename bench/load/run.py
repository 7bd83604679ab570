"""`make bench-load`: the load test against a running portal (`make run` in another terminal).

Prepares the users (bench/load/prepare.py), runs locust headless for a bounded number of users and time
with CSV output, samples the server's processes (RSS) and the load average while it runs, and prints
p50/p95/p99 per request type, the failures, the deliveries and the peak RSS as Markdown; the figures also
go to var/bench/results/load-<UTC time>.json and locust's CSV files to var/bench/load/<UTC time>_*.csv.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "bench" / "load"
RESULTS = ROOT / "var" / "bench" / "results"
BIN = Path(sys.executable).parent


def listening_pid(port: int) -> int | None:
    """The process that listens on a local TCP port (from /proc: no extra tool needed)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{fields[9]}]")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    return int(pid)
        except OSError:
            continue
    return None


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()


def family(web_pid: int) -> dict[int, str]:
    """The web server and its siblings started by the same `portal run` (worker, sandbox bank)."""
    parent = int(_stat(web_pid)[1])
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if int(pid) == web_pid or int(_stat(int(pid))[1]) == parent:
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    words = cmdline.read().split(b"\0")
                found[int(pid)] = " ".join(w.decode() for w in words[2:4] if w) or words[0].decode()
        except (OSError, ValueError):
            continue
    return found


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def sample(
    processes: dict[int, str], stop: threading.Event, peaks: dict[str, float], loads: list[float]
) -> None:
    while not stop.wait(2):
        loads.append(os.getloadavg()[0])
        for pid, name in processes.items():
            try:
                peaks[name] = max(peaks.get(name, 0.0), rss_mb(pid))
            except OSError:
                continue


def summary(prefix: Path) -> list[dict[str, str]]:
    with open(f"{prefix}_stats.csv") as stats:
        return list(csv.DictReader(stats))


def markdown(rows: list[dict[str, str]]) -> str:
    lines = [
        "| type | request | count | failures | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['Type'] or ''} | {row['Name']} | {row['Request Count']} | {row['Failure Count']} "
            f"| {row['50%']} | {row['95%']} | {row['99%']} | {float(row['Max Response Time']):.0f} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=os.environ.get("BASE_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--spawn-rate", type=float, default=2, help="users started per second")
    parser.add_argument("--time", default="5m", help="how long, as locust takes it (30s, 5m)")
    args = parser.parse_args()

    subprocess.run(
        [sys.executable, str(ROOT / "bench/load/prepare.py"), "--users", str(args.users)], check=True
    )
    port = urlsplit(args.host).port or 80
    web = listening_pid(port)
    processes = family(web) if web else {}
    if not processes:
        print(f"No server listens on port {port}: RSS is not reported (is `make run` running?)", flush=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    prefix = OUT / stamp
    OUT.mkdir(parents=True, exist_ok=True)
    stop, peaks, loads = threading.Event(), {}, [os.getloadavg()[0]]
    sampler = threading.Thread(target=sample, args=(processes, stop, peaks, loads), daemon=True)
    sampler.start()
    started = time.monotonic()
    locust = subprocess.run(
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "bench/load/locustfile.py"),
            "--headless",
            "--users",
            str(args.users),
            "--spawn-rate",
            str(args.spawn_rate),
            "--run-time",
            args.time,
            "--host",
            args.host,
            "--csv",
            str(prefix),
            "--only-summary",
            "--stop-timeout",
            "10",
        ],
        check=False,
    )
    stop.set()
    rows = summary(prefix)
    result = {
        "started": stamp,
        "host": args.host,
        "users": args.users,
        "seconds": round(time.monotonic() - started),
        "load_average": {"min": min(loads), "max": max(loads), "mean": round(sum(loads) / len(loads), 2)},
        "rss_mb_peak": {name: round(mb) for name, mb in peaks.items()},
        "stats": rows,
        "locust_exit": locust.returncode,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"load-{stamp}.json").write_text(json.dumps(result, indent=1))
    print(f"\n## Load test, {args.users} users for {args.time} against {args.host} ({stamp})\n")
    print(markdown(rows))
    print(
        f"\nLoad average (1 min) during the run: {result['load_average']}; "
        f"peak RSS (MB): {result['rss_mb_peak']}; locust exit code {locust.returncode} (1: some failures)"
    )
    print(f"CSV: {prefix.relative_to(ROOT)}_*.csv; figures: var/bench/results/load-{stamp}.json")
    return locust.returncode


if __name__ == "__main__":
    sys.exit(main())
