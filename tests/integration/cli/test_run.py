"""`portal run` as a user runs it: embedded PostgreSQL, migrations, demo data, web server and worker; Ctrl-C
stops everything; the data is there on the next start."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import IO

from conftest import free_port
from tests.processes import stop_processes


def _start(pgdata: Path, port: int, output: IO[str] | int = subprocess.PIPE) -> subprocess.Popen[str]:
    # Without XDG_RUNTIME_DIR, as on a server or in a container (the embedded PostgreSQL's library warns).
    dropped = {"DATABASE_URL", "QUEUE_URL", "PORTAL_ENV", "XDG_RUNTIME_DIR"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        PORTAL_PGDATA=str(pgdata), PORT=str(port), MAIL_URL="dev:", STORAGE_DIR=str(pgdata.parent / "f")
    )
    return subprocess.Popen(
        [sys.executable, "-m", "portal.cli", "run"],
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_ready(port: int, process: subprocess.Popen[str], within: float = 90) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("portal run did not become ready")


def _until_announced(process: subprocess.Popen[str]) -> str:
    """The output up to the line with the portal's address, which is printed once the web server answers
    (pytest's timeout bounds the wait)."""
    assert process.stdout is not None
    printed = ""
    for line in process.stdout:
        printed += line
        if "The Customer Service Area is at" in line:
            return printed
    raise AssertionError(f"portal run ended without printing its address:\n{printed}")


def _interrupt(process: subprocess.Popen[str]) -> str:
    """Ctrl-C, then the rest of the output. Read through the same file object as any line read before:
    communicate(timeout=…) reads the pipe itself and would miss what that file object has buffered."""
    process.send_signal(signal.SIGINT)
    assert process.stdout is not None
    output = process.stdout.read()  # to the end of the output: pytest's timeout bounds the wait
    assert process.wait(timeout=40) == 0, output
    return output


def test_run_serves_stops_cleanly_and_keeps_data() -> None:
    root = Path(tempfile.mkdtemp(prefix="prun-", dir="/tmp"))
    pgdata = root / "pg"
    port = free_port()
    started: list[subprocess.Popen[str]] = []
    try:
        first = _start(pgdata, port)
        started.append(first)
        printed = _until_announced(first)
        # Printed once it answers: following it at once works.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert "Customer Service Area" in response.read().decode()
        # A second `make run` from the same folder is refused, and leaves the first one's database alone
        # (it used to stop it on its way out, under the first run's feet).
        again = _start(pgdata, free_port())
        started.append(again)
        refused, _ = again.communicate(timeout=60)
        assert again.returncode == 1, refused
        assert "The portal is already running from this folder" in refused, refused
        assert "Stopped the embedded PostgreSQL" not in refused
        assert _wait_ready(port, first, within=5) < 5
        output = printed + _interrupt(first)
        assert "The Customer Service Area is at http://127.0.0.1:" in output
        assert "Loaded the demo data into the empty database." in output
        assert "ana.demo" in output  # the demo customers are printed
        assert "Stopped the embedded PostgreSQL." in output
        assert "Warning" not in output, output
        assert not (pgdata / "postmaster.pid").exists()

        second = _start(pgdata, port)
        started.append(second)
        output = _until_announced(second) + _interrupt(second)
        # The database was kept: nothing was loaded again, and the same demo is described.
        assert "Loaded the demo data" not in output
        assert "ana.demo" in output
    finally:
        stop_processes(started)  # after a failure: no stack left running
        shutil.rmtree(root, ignore_errors=True)
