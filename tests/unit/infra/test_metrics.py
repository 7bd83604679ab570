"""The storage-error counter: a failed storage operation is counted under its name, and still fails."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from portal.infra.storage import Storage
from portal.settings import StorageSettings


def _errors(operation: str) -> float:
    return REGISTRY.get_sample_value("portal_storage_errors_total", {"operation": operation}) or 0.0


async def test_a_failed_write_is_counted_and_raised(tmp_path: Path) -> None:
    (tmp_path / "bills").write_text("a file in the way of the folder")
    storage = Storage(StorageSettings(url=f"file:{tmp_path}"))
    before, exists_before = _errors("write"), _errors("exists")

    with pytest.raises(Exception, match="bills"):
        await storage.write("bills/FA1.pdf", b"%PDF")

    assert _errors("write") == before + 1
    assert await storage.exists("other/FA1.pdf") is False  # answered, not an error
    assert _errors("exists") == exists_before


def test_a_queue_outage_shows_while_it_lasts_and_is_counted_once() -> None:
    from portal.infra.queue import Outage

    def outages() -> float:
        return REGISTRY.get_sample_value("portal_queue_outages_total") or 0.0

    outage, before = Outage(), outages()
    outage.failed(ConnectionError("refused"))
    outage.failed(ConnectionError("refused"))

    assert REGISTRY.get_sample_value("portal_queue_down") == 1
    assert outages() == before + 1
    outage.answered()
    assert REGISTRY.get_sample_value("portal_queue_down") == 0
