"""`portal import` as an operator runs it: exit status 0, 1 or 2, the summary as the last line of standard
output, every rejected line in `--errors FILE`, standard input, `--history`."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import free_port
from portal.settings import Settings
from tests.processes import storage_env
from tests.unit.imports.import_samples import ACCOUNT_RECORD, BILL, CUSTOMER, jsonl, record


def portal_import(
    *args: str,
    stdin: bytes | None = None,
    stdin_from: Path | None = None,
    settings: Settings,
    **more_env: str,
) -> subprocess.CompletedProcess[str]:
    """`portal import ARGS`, its standard input `stdin`, or redirected from the file `stdin_from`."""
    env = {**os.environ, **storage_env(settings.storage), "MAIL_URL": "dev:", **more_env}
    return subprocess.run(
        [sys.executable, "-m", "portal.cli", "import", *args],
        input=stdin.decode() if stdin is not None else None,
        stdin=stdin_from.open("rb") if stdin_from is not None else None,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_exit_status_summary_and_errors_file(db: None, settings: Settings, tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_bytes(jsonl(CUSTOMER, ACCOUNT_RECORD, BILL))
    done = portal_import(str(good), "--no-render", "--by", "nightly", settings=settings)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == (
        "imported 1 bills, 1 customers, 1 accounts, 0 payments; skipped 0; rejected 0"
    )

    errors = tmp_path / "errors.jsonl"
    bad = jsonl(record(BILL, number="FA-2026/000102", total=15.08), record(CUSTOMER, nmae="x"))
    done = portal_import("-", "--errors", str(errors), stdin=bad, settings=settings)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[-1] == "imported 0 bills, 0 customers, 0 accounts, 0 payments; skipped 0; rejected 2"
    assert lines[-3].startswith("line 1: total: ") and lines[-2].startswith("line 2: nmae: unknown field")
    written = [json.loads(line) for line in errors.read_text().splitlines()]
    assert [(e["line"], e["field"]) for e in written] == [(1, "total"), (2, "nmae")]

    missing = portal_import(str(tmp_path / "nowhere.jsonl"), settings=settings)
    assert missing.returncode == 2
    assert "cannot open" in missing.stderr and "nowhere.jsonl" in missing.stderr

    again = portal_import(str(good), "--no-render", settings=settings)
    assert again.returncode == 0
    assert again.stdout.splitlines()[-2] == "nothing changed: every record was already in the portal"

    history = portal_import("--history", settings=settings)
    assert history.returncode == 0
    runs = [line for line in history.stdout.splitlines() if line.startswith("#")]
    assert len(runs) == 3  # the newest first; a file that cannot be read leaves no run
    assert "by nightly" in runs[-1] and "imported 1 bills" in runs[-1]
    assert " - " in runs[1] and "rejected 2" in runs[1]
    lines = history.stdout.splitlines()
    issued = [lines[n + 1] for n, line in enumerate(lines) if line.startswith("#")]
    assert issued[0].endswith("without rendering (--no-render): PDFs made on first request")
    assert issued[1].endswith(": PDFs queued for the workers to render, new bill emails queued")


async def test_a_file_that_cannot_be_read_exits_2_with_a_line_numbered_message(
    db: None, settings: Settings, tmp_path: Path
) -> None:
    # Linux's /proc/self/mem opens, then fails every read with EIO: a disk failing under the file.
    errors = tmp_path / "errors.jsonl"
    done = portal_import("/proc/self/mem", "--no-render", "--errors", str(errors), settings=settings)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    assert lines[-2] == (
        "line 1: line: the file cannot be read from this line on (Input/output error);"
        " the lines before it were imported: import the file again once it can be read"
    )
    assert lines[-1] == "imported 0 bills, 0 customers, 0 accounts, 0 payments; skipped 0; rejected 0"
    assert [json.loads(line)["line"] for line in errors.read_text().splitlines()] == [1]


def import_on_a_terminal(path: Path, settings: Settings) -> tuple[int, str, str]:
    """`portal import PATH` with its standard error on a pseudo-terminal, as when an operator runs it:
    (exit status, standard output, what the terminal showed)."""
    import pty
    import threading

    terminal, its_end = pty.openpty()
    env = {**os.environ, **storage_env(settings.storage), "TERM": "xterm", "COLUMNS": "100"}
    process = subprocess.Popen(
        [sys.executable, "-m", "portal.cli", "import", str(path), "--no-render"],
        env=env, stdout=subprocess.PIPE, stderr=its_end, text=True,
    )  # fmt: skip
    os.close(its_end)
    shown = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(terminal, 4096)
            except OSError:  # the other end closed
                return
            if not chunk:
                return
            shown.extend(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    stdout, _ = process.communicate(timeout=300)
    reader.join(timeout=30)
    os.close(terminal)
    return process.returncode, stdout, shown.decode(errors="replace")


async def test_a_progress_bar_on_standard_error_only_when_it_is_a_terminal(
    db: None, settings: Settings, tmp_path: Path
) -> None:
    from stdnum.es import dni

    data = tmp_path / "customers.jsonl"
    numbers = [f"{50_000_000 + n:08d}" for n in range(200)]
    data.write_bytes(jsonl(*(record(CUSTOMER, identity=n + dni.calc_check_digit(n)) for n in numbers)))
    status, stdout, screen = import_on_a_terminal(data, settings)
    assert status == 0
    assert "Importing" in screen and "━" in screen  # the bar, drawn on the terminal
    assert "Importing" not in stdout  # standard output keeps the report
    assert stdout.splitlines()[-1].startswith("imported 0 bills, 200 customers")

    piped = portal_import(str(data), "--no-render", settings=settings)  # standard error not a terminal
    assert piped.returncode == 0 and "Importing" not in piped.stderr and "━" not in piped.stderr


async def test_a_queue_that_does_not_answer_leaves_the_bills_to_issue_and_says_so(
    db: None, settings: Settings, tmp_path: Path
) -> None:
    data = tmp_path / "bills.jsonl"
    data.write_bytes(jsonl(CUSTOMER, ACCOUNT_RECORD, BILL))
    down = portal_import(str(data), settings=settings, QUEUE_URL=f"redis://127.0.0.1:{free_port()}/0")
    assert down.returncode == 2, down.stderr
    assert "Traceback" not in down.stderr
    # What it logs (the queue's connection closed with an error) is JSON, as every process's lines are.
    logged = [json.loads(line) for line in down.stderr.splitlines()]
    assert "queue.disconnect_failed" in [line["event"] for line in logged]
    lines = down.stdout.splitlines()
    assert lines[-2].startswith("issuing: the queue (QUEUE_URL) did not answer: the records are imported")
    assert lines[-1] == "imported 1 bills, 1 customers, 1 accounts, 0 payments; skipped 0; rejected 0"
    again = portal_import(str(data), settings=settings)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-2] == "issuing: 1 render jobs queued, 0 emails queued"


async def test_a_file_without_records_says_so(db: None, settings: Settings) -> None:
    done = portal_import("-", stdin=b"\n\n", settings=settings)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == [
        "nothing changed: the file holds no records (was the export empty?)",
        "imported 0 bills, 0 customers, 0 accounts, 0 payments; skipped 0; rejected 0",
    ]


async def test_an_errors_file_that_is_the_file_imported_is_refused_before_either_is_touched(
    db: None, settings: Settings, tmp_path: Path
) -> None:
    """`--errors` names the file to import (a slip of the hand, a name completed by the shell): opening it
    for writing emptied the export before it was read, and the run then reported an empty export."""
    export = tmp_path / "export.jsonl"
    content = jsonl(CUSTOMER, ACCOUNT_RECORD, BILL)
    export.write_bytes(content)
    for errors, source in (
        (str(export), str(export)),
        (f"{tmp_path}/./export.jsonl", str(export)),
        (str(export), "-"),  # standard input redirected from the file itself
    ):
        refused = portal_import(
            source, "--errors", errors, stdin_from=export if source == "-" else None, settings=settings
        )
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert refused.stderr.strip().splitlines()[-1] == (
            f"portal import: --errors {errors} is the file being imported: give the rejected lines"
            " another file"
        ), refused.stderr
        assert export.read_bytes() == content
    history = portal_import("--history", settings=settings)
    assert history.stdout == "No imports yet.\n", history.stdout


async def test_standard_input_closed(db: None, settings: Settings) -> None:
    """`portal import -` with standard input closed (`<&-`): Python has no sys.stdin then. Without
    libfaketime (a suite run under `faketime`): it opens its shared memory before Python starts, and that
    file takes the free descriptor 0, so the command would read it as its standard input."""
    env = {**os.environ, **storage_env(settings.storage), "MAIL_URL": "dev:"}
    env.pop("LD_PRELOAD", None)
    closed = await asyncio.create_subprocess_exec(
        *("sh", "-c", 'exec "$0" "$@" <&-', sys.executable, "-m", "portal.cli", "import", "-"),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    output, errors = await closed.communicate()
    assert closed.returncode == 2, errors.decode()
    assert (
        errors.decode().strip().splitlines()[-1] == "portal import: cannot open -: standard input is closed"
    )
    assert output == b""


async def test_an_errors_file_that_cannot_be_written_is_named(db: None, settings: Settings) -> None:
    """A full disk (/dev/full always is) said only "No space left on device", at the end of the run, which
    read as the database's disk: the run stops at the first rejected line it cannot write, and says which
    file."""
    bad = jsonl(CUSTOMER, record(CUSTOMER, nmae="x"))
    done = portal_import("-", "--no-render", "--errors", "/dev/full", stdin=bad, settings=settings)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "portal import: cannot write the rejected lines to --errors '/dev/full': No space left on device;"
        " the batches imported before it stay (`portal import --history` says how far the run went):"
        " import the file again once the errors file can be written"
    )
    history = portal_import("--history", settings=settings)
    assert history.stdout.splitlines()[0].endswith("did not finish"), history.stdout


async def test_history_shows_a_file_name_with_a_line_break_on_its_runs_line(
    db: None, settings: Settings, tmp_path: Path
) -> None:
    """A file's name may hold a line break (or an escape sequence): as it is, it forged a line of its own
    in the listing, one line a run (and with it a run that never was)."""
    forged = tmp_path / "export.jsonl\n#99  2026-12-07 03:00 UTC  by nightly  export.jsonl"
    forged.write_bytes(jsonl(CUSTOMER))
    assert portal_import(str(forged), "--no-render", settings=settings).returncode == 0
    history = portal_import("--history", settings=settings).stdout.splitlines()
    assert len(history) == 2 and history[0].startswith("#1  "), history  # the run's line, then its issuing
    assert f"  {str(forged)[:60]!r}… ({len(str(forged))} characters)  sha256 " in history[0], history
