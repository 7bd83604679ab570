"""`portal run` when its worker dies: the worker is started again (and says so), the web server and the
database keep running, and only Ctrl-C stops everything."""

from __future__ import annotations

import shutil
import signal
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psutil

from conftest import free_port
from tests.integration.cli.test_run import _start, _wait_ready


def _worker(run: psutil.Process) -> psutil.Process | None:
    """The live worker child of `portal run` (a killed one stays a zombie until run notices)."""
    for child in run.children():
        try:
            if child.status() != psutil.STATUS_ZOMBIE and child.cmdline()[-1:] == ["worker"]:
                return child
        except psutil.NoSuchProcess:  # zombies included
            continue
    return None


def _wait_for(condition: Callable[[], bool], what: str, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_a_dead_worker_is_started_again_and_only_ctrl_c_stops_run() -> None:
    root = Path(tempfile.mkdtemp(prefix="prun-", dir="/tmp"))
    port = free_port()
    output = root / "run.log"
    try:
        with output.open("w") as log:
            process = _start(root / "pg", port, log)
            _wait_ready(port, process)
            run = psutil.Process(process.pid)
            first = _worker(run)
            assert first is not None
            for _ in range(2):  # twice: the second restart waits longer
                killed = _worker(run)
                assert killed is not None
                killed.send_signal(signal.SIGKILL)
                _wait_for(
                    lambda killed=killed: (w := _worker(run)) is not None and w.pid != killed.pid,  # type: ignore[misc]
                    "no new worker was started",
                )
            text = output.read_text()
            assert "The worker stopped (exit code -9); starting it again in 1 s." in text
            assert "The worker stopped (exit code -9); starting it again in 2 s." in text
            assert text.count("Started the worker again.") == 2
            assert process.poll() is None  # the web server and the database are still up
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
                assert response.status == 200
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=40) == 0
        assert "Stopped the embedded PostgreSQL." in output.read_text()
    finally:
        shutil.rmtree(root, ignore_errors=True)
