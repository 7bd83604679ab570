"""What a command needs before it starts, checked once as it starts: the database answers, the folders it
writes to can be written. A setting that points nowhere then stops the process with one line that says
which setting and why (ConfigurationError), not with a driver's traceback from deep inside a request,
a job or the web server's start-up."""

from __future__ import annotations

import asyncio
import errno
import os
import tempfile
from pathlib import Path

import asyncpg
import psycopg.conninfo
from redis import asyncio as aioredis

from portal import i18n
from portal.setting_checks import redacted
from portal.settings import ConfigurationError, Settings

CONNECT_SECONDS = 10


async def _connect(url: str) -> None:
    connection = await asyncpg.connect(url, timeout=CONNECT_SECONDS)
    await connection.close()


def check_database(url: str) -> None:
    try:
        asyncio.run(_connect(url))
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__
        raise ConfigurationError(
            f"cannot reach the database at {redacted(url)} ({reason}): check DATABASE_URL and that"
            " PostgreSQL is running"
        ) from None


def _check_writable(setting: str, folder: Path) -> None:
    """A file can be made in `folder` (made if missing): not read-only, not full, not a file."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".preflight-") as probe:
            probe.write(b"portal")
            probe.flush()
    except OSError as exc:
        raise ConfigurationError(
            f"{setting}: cannot write to the folder {str(folder)!r} ({exc.strerror or exc}): make it writable"
            " by this user, free some space, or point the setting elsewhere"
        ) from None


def check_folders(settings: Settings) -> None:
    """The folders the process writes to, made if missing. Called before anything imports
    `portal.infra.metrics`: prometheus-client opens its file in PROMETHEUS_MULTIPROC_DIR as the metrics
    are declared, so a folder still missing then would stop the process with a bare FileNotFoundError."""
    if settings.storage.folder is not None:
        _check_writable("STORAGE_URL", settings.storage.folder)
    if settings.metrics.multiprocess_dir is not None:
        _check_writable("PROMETHEUS_MULTIPROC_DIR", settings.metrics.multiprocess_dir)


def check_queue_url(setting: str, url: str) -> None:
    """The queue's client takes every parameter of its URL (`?socket_timeout=5`, `?sslmode=require`):
    checked without connecting, since the queue need not answer at start."""
    try:
        if url.startswith("redis"):
            aioredis.ConnectionPool.from_url(url).make_connection()
        else:
            psycopg.conninfo.conninfo_to_dict(url)
    except (TypeError, ValueError, psycopg.ProgrammingError) as exc:
        raise ConfigurationError(
            f"{setting} {redacted(url)} has a parameter the job queue's client does not take"
            f" ({str(exc).strip()}): check the parameters after its ?"
        ) from None


async def _bind(host: str, port: int) -> None:
    server = await asyncio.get_running_loop().create_server(asyncio.Protocol, host, port, start_serving=False)
    server.close()
    await server.wait_closed()


def check_listen(host_setting: str, host: str, port_setting: str, port: int) -> None:
    """`host`:`port` can be listened on: bound as uvicorn binds it (asyncio's create_server), then let go.
    uvicorn finds out only after loading the application, and stops with its own log words and exit status
    3; an address taken between this check and uvicorn's start (rare) still ends that way."""
    try:
        asyncio.run(_bind(host, port))
    except OSError as exc:
        # asyncio words a failed bind its own way ("error while attempting to bind on address …"): the
        # system's words instead; a host name that does not resolve (gaierror) has its own.
        reason = os.strerror(exc.errno) if exc.errno and exc.errno > 0 else exc.strerror or str(exc)
        # In use, or below 1024 for a user without the right: another port; otherwise not this machine's.
        setting = port_setting if exc.errno in {errno.EADDRINUSE, errno.EACCES} else host_setting
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        raise ConfigurationError(f"cannot listen on {address} ({setting}): {reason.lower()}") from None


def check(settings: Settings) -> None:
    """Everything a command that uses the database needs, or ConfigurationError on the first that fails."""
    try:
        i18n.configure(settings.locale.language)
    except ValueError as exc:  # a language without a catalogue: DEFAULT_LANGUAGE
        raise ConfigurationError(str(exc)) from None
    check_folders(settings)
    assert settings.database.url is not None  # the embedded database's, when none was configured
    if settings.queue.url:
        check_queue_url("QUEUE_URL", settings.queue.url)
    else:  # the queue is in the database
        check_queue_url("DATABASE_URL", settings.database.url)
    check_database(settings.database.url)
