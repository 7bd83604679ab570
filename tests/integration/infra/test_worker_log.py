"""What SAQ logs about the periodic sweeps (every 15 s and every minute) is DEBUG; every other job's lines
stay INFO. SAQ's own code does the logging here: the worker schedules its cron jobs on the real queue.
WeasyPrint's step-by-step lines of each PDF appear only at DEBUG."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from jobs.settings import make_worker
from portal.bills import pdf as bills
from portal.infra.pdf import render_tagged_pdf
from portal.settings import Settings
from portal.web.logging import QUIET_LIBRARIES, configure_logging


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide state: the other tests of this process get theirs back."""
    root, saq = logging.getLogger(), logging.getLogger("saq")
    handlers, level, filters, config = root.handlers[:], root.level, saq.filters[:], structlog.get_config()
    quiet = {name: logging.getLogger(name).level for name in QUIET_LIBRARIES}
    yield
    root.handlers[:], root.level, saq.filters[:] = handlers, level, filters
    for name, quiet_level in quiet.items():
        logging.getLogger(name).setLevel(quiet_level)
    structlog.configure(**config)


def _json_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]


async def _saq_lines(
    queue: Any, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> list[dict[str, Any]]:
    await make_worker(settings, queue).schedule()
    await queue.enqueue(bills.TASK.name, key="bill-pdf-log-test", bill_id=1)
    return [line for line in _json_lines(capsys) if line.get("logger") == "saq"]


async def test_the_sweeps_lines_are_debug_and_other_jobs_lines_info(
    queue: Any, settings: Settings, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    configure_logging("INFO")
    lines = await _saq_lines(queue, settings, capsys)
    assert [line["level"] for line in lines if "bill-pdf-log-test" in line["event"]] == ["info"]
    assert not [line for line in lines if "cron:" in line["event"]]


async def test_at_debug_the_sweeps_lines_are_there(
    queue: Any, settings: Settings, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    configure_logging("DEBUG")
    lines = await _saq_lines(queue, settings, capsys)
    sweeps = [line for line in lines if "key: cron:sweep_downloads" in line["event"]]
    assert [line["level"] for line in sweeps] == ["debug"]


@pytest.mark.parametrize(("level", "steps"), [("INFO", False), ("DEBUG", True)])
def test_a_pdfs_rendering_steps_only_at_debug(
    level: str, steps: bool, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    configure_logging(level)
    render_tagged_pdf('<!doctype html><html lang="en"><title>A bill</title><p>13,48 €</p></html>')
    loggers = {line["logger"] for line in _json_lines(capsys)}
    assert ("weasyprint.progress" in loggers) is steps, loggers
