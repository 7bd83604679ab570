"""`portal import --history`: each run's summary, whether its bills were issued, where reading stopped."""

from __future__ import annotations

import datetime as dt
from typing import Any

from portal.imports.run import describe
from portal.imports.writer import Counts

STARTED = dt.datetime(2026, 12, 5, 21, 3, tzinfo=dt.UTC)


def run(**changes: Any) -> dict[str, Any]:
    return {
        "id": 7, "started_at": STARTED, "finished_at": STARTED + dt.timedelta(minutes=1), "run_by": "nightly",
        "file_name": "bills.jsonl", "sha256": "ab" * 32, "counts": Counts(bills=12, rejected=1).__dict__,
        "issued_at": STARTED + dt.timedelta(minutes=2), "rendered": True, "read_error": "", **changes,
    }  # fmt: skip


def test_a_run_issued_with_its_pdfs_rendered() -> None:
    assert describe(run()).splitlines() == [
        "#7  2026-12-05 21:03 UTC  by nightly  bills.jsonl  sha256 abababababababab"
        "  imported 12 bills, 0 customers, 0 accounts, 0 payments; skipped 0; rejected 1",
        "    issued 2026-12-05 21:05 UTC: PDFs queued for the workers to render, new bill emails queued",
    ]


def test_a_run_issued_without_rendering() -> None:
    assert describe(run(rendered=False)).splitlines()[1] == (
        "    issued 2026-12-05 21:05 UTC without rendering (--no-render): PDFs made on first request"
    )


def test_a_run_not_issued_yet_and_one_that_stopped_reading() -> None:
    stopped = "line 9: the file cannot be read from this line on (Input/output error)"
    assert describe(run(issued_at=None, read_error=stopped)).splitlines()[1:] == [
        "    not issued yet: the next import issues its bills (PDFs and emails)",
        f"    reading stopped at {stopped}; the lines before it were imported",
    ]
