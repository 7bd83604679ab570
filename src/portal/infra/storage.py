"""Generated files (bill PDFs, bills-due documents, receipts, download zips) in an object store: a folder
on the local disk (`STORAGE_URL=file:…`) or an S3 bucket (`s3://BUCKET/prefix`), both through obstore.

Every write is atomic: an object appears whole or not at all. A small file is one put (obstore's local
store writes a staging file and renames it; S3 makes a single PUT visible whole). A large one, a zip, is
a streamed multipart upload that is completed only after its last part: if its source fails, the upload
is aborted and nothing appears. With S3 nothing is written to the local disk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterable, AsyncIterator
from typing import TYPE_CHECKING

import obstore
from obstore.store import LocalStore, S3Store

from portal.infra.metrics import counts_storage_errors
from portal.settings import StorageSettings

if TYPE_CHECKING:
    from obstore import BytesStream
    from obstore.store import ObjectStore, S3Config

PART_SIZE = 8 * 1024 * 1024
"""Bytes per part of a multipart upload (S3 wants at least 5 MiB): what a zip holds in memory at most,
times the parts in flight."""
PARTS_IN_FLIGHT = 2
READ_CHUNK = 256 * 1024
"""Bytes per chunk when a file is streamed to a browser."""
READY_PREFIX = "readyz/"
"""A prefix that holds nothing: listing it is the readiness check (the bucket, the credentials and the
network all answer, and it costs the same however many files are stored)."""


def checked_key(key: str) -> str:
    """A key such as `bills/en/FA00000000025.pdf`; keys never leave the root."""
    if any(part in {"", ".", ".."} for part in key.split("/")):
        raise ValueError(f"Not a storage key: {key!r}")
    return key


def make_store(settings: StorageSettings) -> ObjectStore:
    if (root := settings.folder) is not None:
        root.mkdir(parents=True, exist_ok=True)
        return LocalStore(root.resolve())
    bucket, _, prefix = settings.url.removeprefix("s3://").partition("/")
    # Those set in the settings, over what obstore finds in the environment itself (e.g. a role's).
    config: S3Config = {}
    if settings.s3_endpoint:
        config["endpoint"] = settings.s3_endpoint
    if settings.s3_region:
        config["region"] = settings.s3_region
    if settings.s3_access_key_id:
        config["access_key_id"] = settings.s3_access_key_id
        config["secret_access_key"] = settings.s3_secret_access_key
    return S3Store(
        bucket,
        prefix=prefix.strip("/") or None,
        config=config,
        client_options={
            "allow_http": settings.s3_allow_http,
            "connect_timeout": dt.timedelta(seconds=5),
            "timeout": dt.timedelta(seconds=60),
        },
        retry_config={
            "max_retries": 3,
            "retry_timeout": dt.timedelta(seconds=20),
            "backoff": {
                "init_backoff": dt.timedelta(milliseconds=100),
                "max_backoff": dt.timedelta(seconds=2),
            },
        },
    )


class Storage:
    def __init__(self, settings: StorageSettings) -> None:
        self.store = make_store(settings)

    @counts_storage_errors("exists")
    async def exists(self, key: str) -> bool:
        try:
            await obstore.head_async(self.store, checked_key(key))
        except FileNotFoundError:
            return False
        return True

    @counts_storage_errors("write")
    async def write(self, key: str, data: bytes) -> None:
        await obstore.put_async(self.store, checked_key(key), data)

    @counts_storage_errors("write_stream")
    async def write_stream(self, key: str, chunks: AsyncIterable[bytes]) -> int:
        """Upload `chunks` as they come (a multipart upload of PART_SIZE parts, so memory stays bounded),
        completed only if `chunks` ends without an error. Returns the size stored."""
        await obstore.put_async(
            self.store,
            checked_key(key),
            chunks,
            use_multipart=True,
            chunk_size=PART_SIZE,
            max_concurrency=PARTS_IN_FLIGHT,
        )
        return int((await obstore.head_async(self.store, key))["size"])

    @counts_storage_errors("read")
    async def read(self, key: str) -> bytes | None:
        """A stored file whole (a PDF: small), or None if it is not stored."""
        try:
            result = await obstore.get_async(self.store, checked_key(key))
        except FileNotFoundError:
            return None
        return bytes(await result.bytes_async())

    @counts_storage_errors("open")
    async def open(self, key: str) -> tuple[int, AsyncIterator[bytes]] | None:
        """The size and the chunks of a stored file, to stream it; None if it is not stored."""
        try:
            result = await obstore.get_async(self.store, checked_key(key))
        except FileNotFoundError:
            return None
        return int(result.meta["size"]), _chunks(result.stream(min_chunk_size=READ_CHUNK))

    @counts_storage_errors("delete")
    async def delete(self, key: str) -> None:
        """Delete a file; one that is not there is already deleted."""
        try:
            await obstore.delete_async(self.store, checked_key(key))
        except FileNotFoundError:
            return

    async def answers(self) -> bool:
        await obstore.list_with_delimiter_async(self.store, READY_PREFIX)
        return True


async def _chunks(stream: BytesStream) -> AsyncIterator[bytes]:
    async for chunk in stream:
        yield bytes(chunk)
