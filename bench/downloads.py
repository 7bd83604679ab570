"""Massive bills download (issue 5): cold and warm zip of 1,000 bills, and worker memory for 10,000.

    BENCH_PG=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/downloads.py
    .venv/bin/python bench/downloads.py --bills 1000 --memory-bills 10000 --workers 2

Uses the `portal_bench_10000` dataset of bench/_common.py (built once with `portal demo --bills 10000`,
migrated again on every run, so the download tables exist). Requests are made by bench.admin through the
real services (`save_details`, `update_marks`, `confirm`), and built by real `portal worker` processes:

1. one bill's render time: `portal.bills.pdf.render` of each of the request's 1,000 bills, one
   after another in this process after a warm-up render, into a scratch folder; half of them just
   before the cold run and half just after it (the mean: see below);
2. cold: 1,000 bills, no PDF stored, `--workers` worker processes (the zip job renders and queues the
   missing PDFs ahead to the render task, so every worker renders): wall time from Confirm to ready
   (the request is drafted and its bills marked before the clock starts), against 1,000 × one render ÷
   worker processes (target ≤ 1.15×); and where the machine's core-seconds went meanwhile;
3. warm: the same 1,000 bills again, PDFs stored (target ≥ 20× faster than cold);
4. memory: 10,000 bills with stored PDFs (one rendered PDF hard-linked under each bill's key, so the
   files exist without rendering 10,000), one worker process; its RSS sampled every 20 ms with psutil
   from Confirm to ready (target: peak ≤ 400 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import _common as c
import psutil

if TYPE_CHECKING:
    from portal.settings import StorageSettings

BENCH_FILES = c.BENCH_DIR / "downloads"


def use_dataset(server: str, queue_url: str = "") -> str:
    """The URL of the `portal_bench_10000` dataset, made this process's database (the services run here),
    with its queue in that database, or at `queue_url` when one is given."""
    dataset = c.ensure_dataset(server, 10_000)
    os.environ.update(
        DATABASE_URL=dataset.url, PICCOLO_CONF="portal.db.piccolo_conf", PORTAL_ENV="development"
    )
    if queue_url:
        os.environ["QUEUE_URL"] = queue_url
    else:
        os.environ.pop("QUEUE_URL", None)
    return dataset.url


def start_workers(
    url: str,
    storage: Path | dict[str, str],
    count: int,
    concurrency: int,
    name: str = "worker",
    cpus: set[int] | None = None,
) -> list[subprocess.Popen[bytes]]:
    """`count` worker processes on the dataset, storing in a folder or as `storage` says (STORAGE_URL and
    the AWS_* variables), on the CPUs `cpus` (all if None)."""
    env = c.portal_env(
        url, WORKER_CONCURRENCY=str(concurrency), LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "WARNING")
    )
    if os.environ.get("QUEUE_URL"):  # --queue-url
        env["QUEUE_URL"] = os.environ["QUEUE_URL"]
    env.update({"STORAGE_URL": f"file:{storage}"} if isinstance(storage, Path) else storage)
    c.LOG_DIR.mkdir(parents=True, exist_ok=True)
    processes = []
    for index in range(count):
        log = (c.LOG_DIR / f"downloads-{name}-{index}.log").open("wb")
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "portal.cli", "worker"],
                env=env,
                stdout=log,
                stderr=log,
                cwd=c.ROOT,
                preexec_fn=None if cpus is None else partial(os.sched_setaffinity, 0, cpus),
            )
        )
    time.sleep(6)  # imports and the first poll; the queue keeps the job until a worker takes it
    for process in processes:
        assert process.poll() is None, "a worker did not start: see var/bench/logs"
    return processes


def stop_workers(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


class Bench:
    """This process's view of the dataset: services, settings and queue on the bench database."""

    def __init__(self, storage: Path | StorageSettings) -> None:
        from portal.settings import Settings

        base = Settings.from_env()
        if isinstance(storage, Path):
            storage = dataclasses.replace(base.storage, url=f"file:{storage}")
        self.settings = dataclasses.replace(base, storage=storage)

    async def viewer(self) -> Any:
        from portal.db.tables import User
        from portal.viewer import Viewer

        row = await User.select(User.id, User.email).where(User.username == c.ADMIN_USER).first()
        assert row is not None, "the bench dataset has no bench.admin"
        return Viewer(row["id"], c.ADMIN_USER, "administrator", row["email"], 0, dt.datetime.now(dt.UTC))

    async def bill_ids(self, count: int) -> list[tuple[int, str]]:
        from portal.db.tables import Bill

        rows = await Bill.raw(
            "SELECT b.id, b.number FROM bill b JOIN account a ON a.id = b.account"
            " JOIN customer c ON c.id = a.customer WHERE c.identity_number = {} ORDER BY b.number LIMIT {}",
            _scale_cif(),
            count,
        )
        return [(row["id"], row["number"]) for row in rows]

    async def draft(self, name: str, count: int) -> int:
        """A draft request with the first `count` bills of Benchmark Holdings marked (by bill number)."""
        from portal.db.tables import DownloadRequest
        from portal.downloads import flow, requests, selection
        from portal.downloads.forms import DetailsForm
        from portal.web.months import TypedMonth

        viewer = await self.viewer()
        answers = DetailsForm(
            name, "custom", TypedMonth("01", "2000"), TypedMonth("12", "2040"), "identity", _scale_cif()
        )
        draft_id, outcome = await flow.save_details(viewer, None, answers)
        assert draft_id is not None, outcome.errors
        draft = await requests.get_request(viewer, draft_id)
        assert draft is not None
        await selection.update_marks(viewer, draft, "select_all", [], [])
        await DownloadRequest.raw(
            "DELETE FROM download_request_bill WHERE request = {} AND bill NOT IN (SELECT m.bill FROM"
            " download_request_bill m JOIN bill b ON b.id = m.bill WHERE m.request = {} ORDER BY b.number"
            " LIMIT {})",
            draft_id,
            draft_id,
            count,
        )
        return draft_id

    async def confirm(self, draft_id: int) -> None:
        from portal.downloads import flow
        from portal.infra.queue import make_queue

        viewer = await self.viewer()
        queue = make_queue(self.settings, max_connections=2)
        await queue.connect()
        try:
            outcome = await flow.confirm(viewer, draft_id, self.settings, queue)
        finally:
            await queue.disconnect()
        assert outcome.ok, outcome.errors

    async def wait_ready(self, request_id: int, sample: Any = None, within: float = 3600) -> dict[str, Any]:
        from portal.db.tables import DownloadRequest

        deadline = time.monotonic() + within
        while True:
            row = await DownloadRequest.select().where(DownloadRequest.id == request_id).first()
            assert row is not None
            if row["state"] == "ready":
                return dict(row)
            assert row["state"] in {"queued", "preparing"}, row
            assert time.monotonic() < deadline, "not ready in time"
            if sample:
                sample()
            await asyncio.sleep(0.02 if sample else 0.2)

    async def render_time(
        self, bills: list[tuple[int, str]], warm_up: int | None, scratch: Path
    ) -> tuple[list[float], list[float]]:
        """Each bill's render time and CPU, one after another in this process, after rendering the bill
        `warm_up` if given (fonts, stylesheet and templates load on the first render, as on a worker's
        first job)."""
        from portal.bills import pdf
        from portal.infra.storage import Storage

        storage = Storage(dataclasses.replace(self.settings.storage, url=f"file:{scratch}"))
        if warm_up is not None:
            assert await pdf.render(warm_up, self.settings.issuer, storage, "en") == "rendered"
        times, cpu_times = [], []
        for bill_id, _ in bills:
            started, cpu = time.perf_counter(), time.process_time()
            assert await pdf.render(bill_id, self.settings.issuer, storage, "en") == "rendered"
            times.append(time.perf_counter() - started)
            cpu_times.append(time.process_time() - cpu)
        return times, cpu_times

    async def download(self, name: str, count: int, sample: Any = None) -> tuple[float, dict[str, Any]]:
        """A request for `count` bills, drafted and marked first; the wall time from Confirm until the
        request is ready (zip renamed, email stored)."""
        draft_id = await self.draft(name, count)
        started = time.perf_counter()
        await self.confirm(draft_id)
        row = await self.wait_ready(draft_id, sample)
        return time.perf_counter() - started, row


_RENDER_LOOP = """
import statistics, sys, time
sys.path[:0] = ["bench", "src", "."]
import pdf_render
from portal.bills import pdf
bill = pdf_render.demo_bill()
pdf.draw(bill)
times = []
for _ in range(12):
    started = time.perf_counter()
    pdf.draw(bill)
    times.append(time.perf_counter() - started)
print(statistics.median(times))
"""


def render_in_processes(count: int) -> float:
    """The median render time when `count` processes render at once (the mean of their medians): what
    this machine really gives `count` worker processes, whatever else runs on it."""
    processes = [
        subprocess.Popen([sys.executable, "-c", _RENDER_LOOP], cwd=c.ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(count)
    ]
    medians = [float(process.communicate(timeout=300)[0].strip()) for process in processes]
    return sum(medians) / len(medians)


def _cpu(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def _machine_cpu(before: dict[str, float] | None = None) -> dict[str, float]:
    """Core-seconds of the whole machine by where they went: the worker processes ("portal worker"),
    PostgreSQL's processes, this process, everything else, and idle. With `before`, the change since."""
    now = {"workers": 0.0, "postgresql": 0.0, "bench": _cpu(os.getpid()), "other": 0.0}
    for process in psutil.process_iter(["name", "cmdline", "cpu_times"]):
        times = process.info["cpu_times"]
        if times is None or process.pid == os.getpid():
            continue
        cmdline = " ".join(process.info["cmdline"] or ())
        part = (
            "workers"
            if "portal.cli worker" in cmdline
            else "postgresql"
            if process.info["name"] in {"postgres", "postmaster"}
            else "other"
        )
        now[part] += times.user + times.system
    machine = psutil.cpu_times()
    now["idle"] = machine.idle + machine.iowait
    now["steal"] = machine.steal  # taken by the hypervisor for other machines
    # Processes that ended in between (PostgreSQL backends, say) are lost to the per-process sums, so
    # "other" is what the machine as a whole spent, less the parts counted. (Guest time is within user.)
    now["total_busy"] = sum(machine) - now["idle"] - now["steal"] - machine.guest - machine.guest_nice
    if before is None:
        return now
    change = {part: now[part] - before[part] for part in now}
    change["other"] = change["total_busy"] - change["workers"] - change["postgresql"] - change["bench"]
    return change


def _scale_cif() -> str:
    from portal.demo.scale import SCALE_HOLDER_CIF

    return SCALE_HOLDER_CIF


async def run(args: argparse.Namespace, url: str) -> dict[str, Any]:
    from portal.db import start_pool
    from portal.downloads.archive import zip_key

    results: dict[str, Any] = {
        "machine": c.machine(),
        "workers": args.workers,
        "concurrency": args.concurrency,
        "queue": "redis" if args.queue_url.startswith("redis") else "postgresql",
    }
    shutil.rmtree(BENCH_FILES, ignore_errors=True)
    cold_store, memory_store, scratch = BENCH_FILES / "cold", BENCH_FILES / "memory", BENCH_FILES / "scratch"
    for folder in (cold_store, memory_store, scratch):
        folder.mkdir(parents=True)
    engine = await start_pool(max_size=4)
    try:
        bench = Bench(cold_store)
        bills = await bench.bill_ids(max(args.bills, args.memory_bills))
        assert len(bills) >= max(args.bills, args.memory_bills), "the dataset has too few bills"

        alone, together = render_in_processes(1), render_in_processes(args.workers)
        capacity = args.workers * alone / together
        results["parallel_capacity"] = {"alone": alone, "together": together, "processes_worth": capacity}
        print(
            f"a demo bill renders in {alone:.3f} s alone, {together:.3f} s with {args.workers} processes at"
            f" once: the machine gives {args.workers} processes the work of {capacity:.2f}",
            flush=True,
        )

        workers = start_workers(url, cold_store, args.workers, args.concurrency)
        try:
            # One bill's render time is the mean over the request's own bills, each rendered once into a
            # scratch folder (so that the cold run still finds none stored): every other bill just before
            # the cold run, the rest just after it. Bills differ (one whose lines reach the payment
            # slip is laid out twice: 0.07–0.3 s), so a sample is not enough: the mean of 50 of them, used
            # before, was off by up to 5 %. And this VM's speed drifts by up to 10 % within minutes, so a
            # reference taken only before the run measured the drift as much as the code.
            request_bills = bills[: args.bills]
            times, cpu_times = await bench.render_time(request_bills[::2], bills[args.bills][0], scratch)

            draft_id = await bench.draft("bench cold", args.bills)
            cpu_before = sum(_cpu(worker.pid) for worker in workers)
            machine_before = _machine_cpu()
            load_before = os.getloadavg()[0]
            started = time.perf_counter()
            await bench.confirm(draft_id)
            cold_row = await bench.wait_ready(draft_id)
            cold = time.perf_counter() - started
            machine = _machine_cpu(machine_before)
            worker_cpu = sum(_cpu(worker.pid) for worker in workers) - cpu_before

            after, cpu_after = await bench.render_time(request_bills[1::2], None, scratch)
            one, one_cpu = statistics.mean(times + after), statistics.mean(cpu_times + cpu_after)
            results["render_seconds"] = {
                "mean": one,
                "mean_before": statistics.mean(times),
                "mean_after": statistics.mean(after),
                "median": statistics.median(times + after),
                "min": min(times + after),
                "max": max(times + after),
                "cpu_mean": one_cpu,
            }
            print(
                f"one bill's render: {one:.3f} s, CPU {one_cpu:.3f} s (mean of {len(times + after)}:"
                f" {statistics.mean(times):.3f} s before the cold run, {statistics.mean(after):.3f} s after;"
                f" median {statistics.median(times + after):.3f} s,"
                f" {min(times + after):.3f}–{max(times + after):.3f} s)",
                flush=True,
            )
            ideal = args.bills * one / args.workers
            achievable = args.bills * one / capacity
            cpu_ideal = args.bills * one_cpu
            results["cold"] = {
                "bills": args.bills,
                "seconds": cold,
                "ideal": ideal,
                "ratio": cold / ideal,
                "achievable": achievable,
                "ratio_to_achievable": cold / achievable,
                "worker_cpu_seconds": worker_cpu,
                "cpu_ideal": cpu_ideal,
                "cpu_ratio": worker_cpu / cpu_ideal,
                "load_average": [load_before, os.getloadavg()[0]],
                "machine_cpu_seconds": machine,
            }
            print(
                f"cold {args.bills}: {cold:.1f} s; ideal {ideal:.1f} s; ratio {cold / ideal:.2f};"
                f" against what the machine gives ({achievable:.1f} s): {cold / achievable:.2f};"
                f" worker CPU {worker_cpu:.1f} s for {cpu_ideal:.1f} s of renders"
                f" ({worker_cpu / cpu_ideal:.2f}×); load {load_before:.1f} → {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            print(
                "  where the machine's core-seconds went: "
                + ", ".join(f"{part} {seconds:.1f} s" for part, seconds in machine.items()),
                flush=True,
            )

            warm, _ = await bench.download("bench warm", args.bills)
            results["warm"] = {"bills": args.bills, "seconds": warm, "speedup": cold / warm}
            print(f"warm {args.bills}: {warm:.2f} s; {cold / warm:.0f}× faster", flush=True)
            results["zip_bytes"] = cold_row["size_bytes"]
        finally:
            stop_workers(workers)

        # Memory: every bill's PDF present (one real PDF, hard-linked), one worker zipping them all.
        from portal.bills import pdf as bill_pdf

        sample_pdf = cold_store / bill_pdf.key(bills[0][1], "en")
        (memory_store / bill_pdf.key(bills[0][1], "en")).parent.mkdir(parents=True)
        for _, number in bills[: args.memory_bills]:
            os.link(sample_pdf, memory_store / bill_pdf.key(number, "en"))
        bench.settings = dataclasses.replace(
            bench.settings, storage=dataclasses.replace(bench.settings.storage, url=f"file:{memory_store}")
        )
        [worker] = start_workers(url, memory_store, 1, args.concurrency, "memory")
        try:
            process = psutil.Process(worker.pid)
            idle = process.memory_info().rss
            peak = [idle]

            def sample() -> None:
                peak[0] = max(peak[0], process.memory_info().rss)

            seconds, row = await bench.download("bench memory", args.memory_bills, sample)
            sample()
        finally:
            stop_workers([worker])
        size = (memory_store / zip_key(row["id"])).stat().st_size
        results["memory"] = {
            "bills": args.memory_bills,
            "idle_rss_mb": idle / 1e6,
            "peak_rss_mb": peak[0] / 1e6,
            "seconds": seconds,
            "zip_mb": size / 1e6,
            "done": row["done"],
        }
        print(
            f"memory {args.memory_bills}: worker RSS {idle / 1e6:.0f} MB idle, peak {peak[0] / 1e6:.0f} MB;"
            f" {seconds:.1f} s; zip {size / 1e6:.0f} MB",
            flush=True,
        )
    finally:
        await engine.close_connection_pool()
        shutil.rmtree(memory_store, ignore_errors=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bills", type=int, default=1000)
    parser.add_argument("--memory-bills", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="worker processes")
    parser.add_argument("--concurrency", type=int, default=4, help="WORKER_CONCURRENCY of each worker")
    parser.add_argument(
        "--queue-url", default="", help="QUEUE_URL of the workers (default: the queue in the database)"
    )
    args = parser.parse_args()
    server, embedded = c.server_url()
    try:
        url = use_dataset(server, args.queue_url)
        results = asyncio.run(run(args, url))
    finally:
        if embedded:
            c.stop_embedded()
    results["targets"] = {
        "cold_ratio_at_most": 1.15,
        "warm_speedup_at_least": 20,
        "peak_rss_mb_at_most": 400,
    }
    results["passed"] = {
        "cold": results["cold"]["ratio"] <= 1.15,
        "warm": results["warm"]["speedup"] >= 20,
        "memory": results["memory"]["peak_rss_mb"] <= 400,
    }
    c.save_results("downloads", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
