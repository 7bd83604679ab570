"""Batches are read and checked in a thread ahead of the one being written (issue 16's speed): the reading
stays a few batches ahead whatever the file's size (memory does not grow with the file), stops when the
writing fails, and the interpreter settings tuned for the run are restored afterwards."""

from __future__ import annotations

import asyncio
import gc
import sys
from typing import Any

import pytest

from portal.imports.writer import Checked, Importer
from portal.settings import Settings
from tests.integration.imports.import_steps import run
from tests.unit.imports.import_samples import ACCOUNT_RECORD, BILL, CUSTOMER, jsonl, record

BILLS = [record(BILL, number=f"FA-2026/{n:06d}") for n in range(1, 21)]


def _interpreter() -> tuple[float, tuple[int, int, int], bool]:
    """The settings an import changes while it runs. Of gc.freeze(), whether anything is frozen, not how
    much: frozen objects still die (an earlier test's app, frozen by its start-up, freed meanwhile), which
    lowers the count while the import runs without the import having touched it (seen once, -n 2)."""
    return sys.getswitchinterval(), gc.get_threshold(), gc.get_freeze_count() > 0


@pytest.fixture
def records_read(monkeypatch: Any) -> list[int]:
    """Batches of 2 records, and the number of records read so far (the list's one item), whoever reads
    them."""
    import portal.imports.run as run_module

    monkeypatch.setattr(run_module, "BATCH", 2)
    read = [0]
    next_batch = run_module._next_batch

    def counted(lines: Any) -> Any:
        batch, error = next_batch(lines)
        read[0] += len(batch)
        return batch, error

    monkeypatch.setattr(run_module, "_next_batch", counted)
    return read


async def test_the_reading_stays_a_few_batches_ahead_of_a_slow_database(
    db: None, settings: Settings, monkeypatch: Any, records_read: list[int]
) -> None:
    import portal.imports.run as run_module

    read, written, ahead = records_read, [0], []
    write = Importer.write

    async def slow(self: Importer, checked: Checked) -> None:
        await asyncio.sleep(0.02)  # the reading has all the time it wants: it must not run away
        ahead.append(read[0] - written[0])
        await write(self, checked)
        written[0] += len(checked.parsed) + len(checked.rejected)

    monkeypatch.setattr(Importer, "write", slow)
    result = await run(jsonl(CUSTOMER, ACCOUNT_RECORD, *BILLS), settings)
    assert result.summary == "imported 20 bills, 1 customers, 1 accounts, 0 payments; skipped 0; rejected 0"
    # Ahead (the writing waits for the database, not for the checks), but never more than the batch
    # being written, AHEAD waiting and one read that waits for room: the file has 11 batches.
    assert 2 < max(ahead) <= (run_module.AHEAD + 2) * 2


async def test_a_failing_write_stops_the_reading(
    db: None, settings: Settings, monkeypatch: Any, records_read: list[int]
) -> None:
    import portal.imports.run as run_module

    read, write = records_read, Importer.write

    async def fails_at_the_third(self: Importer, checked: Checked) -> None:
        if self.counts.bills == 2:
            raise ConnectionResetError("the database went away")
        await write(self, checked)

    monkeypatch.setattr(Importer, "write", fails_at_the_third)
    with pytest.raises(ConnectionResetError):
        await run(jsonl(CUSTOMER, ACCOUNT_RECORD, *BILLS), settings)
    stopped = read[0]
    await asyncio.sleep(0.2)
    assert read[0] == stopped <= (run_module.AHEAD + 3) * 2  # nothing read once the import returned


async def test_the_interpreter_is_as_it_was_after_imports_two_at_once_or_failing(
    db: None, settings: Settings, monkeypatch: Any
) -> None:
    before = _interpreter()
    data = jsonl(CUSTOMER, ACCOUNT_RECORD, *BILLS)
    during: list[tuple[float, tuple[int, int, int], bool]] = []

    async def watched(self: Importer, checked: Checked, write: Any = Importer.write) -> None:
        during.append(_interpreter())
        await write(self, checked)

    monkeypatch.setattr(Importer, "write", watched)
    first, second = await asyncio.gather(run(data, settings), run(data, settings))
    assert sorted([first.outcome.counts.changed, second.outcome.counts.changed]) == [0, 22]
    assert {(switch, thresholds[0]) for switch, thresholds, _ in during} == {(0.0005, 100_000)}
    assert _interpreter() == before

    async def failing(self: Importer, checked: Checked) -> None:
        raise ConnectionResetError("the database went away")

    monkeypatch.setattr(Importer, "write", failing)
    with pytest.raises(ConnectionResetError):
        await run(data, settings)
    assert _interpreter() == before
