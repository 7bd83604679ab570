"""The file storage on the store of the run: a folder, or with `pytest --s3` a real S3 server (SeaweedFS).
What a job writes appears whole or not at all; reads come back in chunks; deleting twice is harmless."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from portal.infra.storage import PART_SIZE, Storage
from portal.settings import Settings
from tests.conftest import stored_keys


async def test_a_file_is_written_read_streamed_and_deleted(db: None, settings: Settings) -> None:
    storage = Storage(settings.storage)
    assert not await storage.exists("bills/FA1.pdf") and await storage.read("bills/FA1.pdf") is None
    await storage.write("bills/FA1.pdf", b"%PDF-1.7 one")
    await storage.write("bills/FA1.pdf", b"%PDF-1.7 two")  # replaced whole
    assert await storage.exists("bills/FA1.pdf")
    assert await storage.read("bills/FA1.pdf") == b"%PDF-1.7 two"
    opened = await storage.open("bills/FA1.pdf")
    assert opened is not None
    size, chunks = opened
    assert size == 12 and b"".join([chunk async for chunk in chunks]) == b"%PDF-1.7 two"
    await storage.delete("bills/FA1.pdf")
    await storage.delete("bills/FA1.pdf")  # already gone: nothing to do
    assert await storage.open("bills/FA1.pdf") is None
    assert await stored_keys(storage, "bills/") == []


async def test_a_streamed_upload_appears_whole_once_its_source_ends(db: None, settings: Settings) -> None:
    storage = Storage(settings.storage)
    part = os.urandom(1024 * 1024)
    parts = PART_SIZE // len(part) * 2 + 3  # more than two upload parts, the last one short

    async def source(fail_after: int | None = None) -> AsyncIterator[bytes]:
        for number in range(parts):
            if number == fail_after:
                raise RuntimeError("the zip job died")
            yield part

    with pytest.raises(RuntimeError, match="the zip job died"):
        await storage.write_stream("downloads/7.zip", source(fail_after=parts - 1))
    assert await stored_keys(storage, "") == []  # not a part of it, not a staging file
    assert await storage.write_stream("downloads/7.zip", source()) == parts * len(part)
    assert await storage.read("downloads/7.zip") == part * parts
    assert await stored_keys(storage, "") == ["downloads/7.zip"]


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../outside.pdf", "bills/../../outside.pdf", "./x"])
async def test_keys_never_leave_the_storage(db: None, settings: Settings, key: str) -> None:
    storage = Storage(settings.storage)
    with pytest.raises(ValueError, match="Not a storage key"):
        await storage.write(key, b"x")
