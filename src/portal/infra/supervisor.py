"""The children of `portal run` (web server, worker, sandbox bank, metrics exporter): started, watched,
a dying worker started again with a growing delay, all stopped on Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable

RESTART_FIRST_DELAY = 1.0
RESTART_MAX_DELAY = 30.0
RESTART_STEADY = 60.0
"""Seconds a restarted child must keep running for its next restart to wait the first delay again."""


def supervise(
    commands: dict[str, list[str]],
    optional: frozenset[str] | set[str] = frozenset(),
    restarted: frozenset[str] | set[str] = frozenset(),
    when_ready: tuple[str, Callable[[], None]] | None = None,
) -> int:
    """Start the children, then wait until Ctrl-C or SIGTERM; then stop every child (SIGTERM, then SIGKILL).

    A `restarted` child that dies (the worker) is started again after a delay that doubles while it keeps
    dying (1 s up to 30 s); an `optional` one (the sandbox bank, e.g. when its port is taken) is reported
    and left stopped; any other (the web server) stops everything. `when_ready`: a URL and what to do
    once it first answers 200."""
    stop = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    processes = {name: subprocess.Popen(command) for name, command in commands.items()}  # noqa: S603
    started = dict.fromkeys(processes, time.monotonic())
    delays = dict.fromkeys(restarted, RESTART_FIRST_DELAY)
    restart_at: dict[str, float] = {}
    exit_code = 0
    while not stop:
        if when_ready is not None and _answers(when_ready[0]):
            when_ready[1]()
            when_ready = None
        now = time.monotonic()
        for name in [name for name, due in restart_at.items() if due <= now]:
            del restart_at[name]
            processes[name] = subprocess.Popen(commands[name])  # noqa: S603
            started[name] = now
            print(f"Started the {name} again.", flush=True)
        for name, process in list(processes.items()):
            if process.poll() is None or name in restart_at:
                continue
            if name in restarted:
                if now - started[name] >= RESTART_STEADY:
                    delays[name] = RESTART_FIRST_DELAY
                delay = delays[name]
                delays[name] = min(delay * 2, RESTART_MAX_DELAY)
                restart_at[name] = now + delay
                said = f"The {name} stopped (exit code {process.returncode})"
                print(f"{said}; starting it again in {delay:.0f} s.", flush=True)
            elif name in optional:
                print(f"The {name} stopped (exit code {process.returncode}); the rest keeps running.")
                del processes[name]
            else:
                print(f"The {name} process stopped (exit code {process.returncode}); stopping the rest.")
                exit_code, stop = 1, True
        time.sleep(0.2)
    running = [process for process in processes.values() if process.poll() is None]
    for process in running:
        process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    for process in running:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return exit_code


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (our own web server's address)
            return bool(response.status == 200)
    except OSError:
        return False
