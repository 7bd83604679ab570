"""The storage-error counter: a failed storage operation is counted under its name, and still fails."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from portal.infra.storage import Storage


def _errors(operation: str) -> float:
    return REGISTRY.get_sample_value("portal_storage_errors_total", {"operation": operation}) or 0.0


def test_a_failed_write_is_counted_and_raised(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("in the way")
    storage = Storage(not_a_folder)
    before, exists_before = _errors("write"), _errors("exists")

    with pytest.raises(OSError):
        storage.write("bills/FA1.pdf", b"%PDF")

    assert _errors("write") == before + 1
    assert storage.exists("bills/FA1.pdf") is False  # answered, not an error
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
