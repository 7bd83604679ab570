"""Real processes for the fault tests: a private Redis server that a test may stop and start again (never
the shared one), a PostgreSQL database that a test creates when it chooses (`LaterDatabase`), and `portal`
commands (worker, serve) run as their own processes with a log file each; one-off `portal` commands run
to their end (`run_portal`)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import redis

from conftest import free_port
from portal import clock
from portal.settings import Settings, StorageSettings

PRODUCTION = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "AxKiaEL-zgABNKbmBU6A7s76SGxz-UUXWtbJNWfYlMM",
    "MAIL_URL": "smtps://user:pass@mail.example.com:465",
    "BASE_URL": "https://portal.example.com",
    "GATEWAY_URL": "https://sis.redsys.es/sis/realizarPago",
    "GATEWAY_MERCHANT_CODE": "336699001",
    "GATEWAY_SECRET": "bWVyY2hhbnQta2V5LW9mLTI0LWJ5dGVz",  # Base64 of "merchant-key-of-24-bytes"
}
"""Settings that production accepts, so that only the guard a test is about can refuse."""


def run_portal(*args: str, without: Iterable[str] = (), **env: str) -> subprocess.CompletedProcess[str]:
    """`portal ARGS` run to its end in this environment, less the variables `without`, plus `env`."""
    environment = {name: value for name, value in os.environ.items() if name not in set(without)}
    return subprocess.run(
        [sys.executable, "-m", "portal.cli", *args],
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


class PrivateRedis:
    """A `redis-server` of this test's own on a free port, without persistence: stopping it is an outage
    of the queue, starting it again on the same port its end."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("The queue fault tests need Redis: install it (Debian: apt-get install redis-server)")
        self.binary = binary
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(
            command, cwd=self.folder, stdout=log, stderr=log, env=real_clock_environment()
        )
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "the private Redis did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None


def real_clock_environment() -> dict[str, str]:
    """This environment without libfaketime (`faketime … make test` tries the suite on another date): it
    makes redis-server fail at start-up ("recursive calls to clock_gettime()"), and the servers that stand
    in for the queue and the bucket, which are not the portal, need no made-up date."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FAKETIME")}
    preload = [
        entry for entry in re.split(r"[:\s]+", env.get("LD_PRELOAD", "")) if entry and "faketime" not in entry
    ]
    if preload:
        env["LD_PRELOAD"] = ":".join(preload)
    else:
        env.pop("LD_PRELOAD", None)
    return env


def real_clock_portal_environment() -> dict[str, str]:
    """For `portal` processes that talk to a server on the real clock: an S3 server refuses a request
    signed more than 15 minutes off its own time (RequestTimeTooSkewed), and SeaweedFS, a Go program, does
    not see libfaketime. So these processes run on the real clock, and under `faketime` the portal's own
    clock (PORTAL_NOW) starts at this test's made-up now (the instant the test's clock stands at): the
    dates the portal shows and stores are the test's, the times S3 checks are the server's."""
    env = real_clock_environment()
    if "FAKETIME" in os.environ:
        env["PORTAL_NOW"] = clock.now().isoformat()
    return env


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


class LaterDatabase:
    """A database of this test's own on the tests' PostgreSQL server that does not exist until `create()`:
    as QUEUE_URL, a Postgres queue that does not answer when the processes start, and then does (empty,
    as a new queue database is)."""

    def __init__(self) -> None:
        self.admin_url = os.environ["TEST_ADMIN_DATABASE_URL"]
        self.name = f"portal_later_{os.getpid()}"  # each pytest-xdist worker is a process of its own
        self.url = urlunsplit(urlsplit(self.admin_url)._replace(path=f"/{self.name}"))

    async def _admin(self, statement: str) -> None:
        admin = await asyncpg.connect(self.admin_url)
        try:
            await admin.execute(statement)
        finally:
            await admin.close()

    async def create(self) -> None:
        await self._admin(f'CREATE DATABASE "{self.name}"')

    async def drop(self) -> None:
        await self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture
async def later_database() -> AsyncIterator[LaterDatabase]:
    database = LaterDatabase()
    await database.drop()  # one that a killed run left
    yield database
    await database.drop()


def stop_processes(
    processes: Iterable[subprocess.Popen[Any]], within: float = 20
) -> list[subprocess.Popen[Any]]:
    """SIGTERM to each process still running, then SIGKILL to any that has not stopped `within` seconds
    later; returns the ones it had to kill."""
    processes = list(processes)
    for process in processes:
        if process.poll() is None:
            process.terminate()
    killed = []
    for process in processes:
        try:
            process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            killed.append(process)
    return killed


class Portal:
    """`portal …` processes on this test's database and SMTP server, each logging to a file."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, *args: str, **env: str) -> subprocess.Popen[bytes]:
        environment = {**self.env, **env}
        if "FAKETIME" in environment:
            # Under `faketime -f @…` a process's clock starts at that instant when it starts: start this
            # one's at the test's time, or jobs queued here would look scheduled in its future.
            environment["FAKETIME"] = f"@{dt.datetime.now():%Y-%m-%d %H:%M:%S}"
        log = (self.folder / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "portal.cli", *args], env=environment, stdout=log, stderr=log
        )
        self.started.append(process)
        return process

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        stop_processes(self.started)


def storage_env(storage: StorageSettings) -> dict[str, str]:
    """The variables that give a `portal` process started by a test this storage."""
    return {
        "STORAGE_URL": storage.url,
        "AWS_ENDPOINT_URL": storage.s3_endpoint,
        "AWS_REGION": storage.s3_region,
        "AWS_ACCESS_KEY_ID": storage.s3_access_key_id,
        "AWS_SECRET_ACCESS_KEY": storage.s3_secret_access_key,
        "AWS_ALLOW_HTTP": "true" if storage.s3_allow_http else "false",
    }


@pytest.fixture
def portal(tmp_path: Path, settings: Settings, smtp_server: tuple[Any, int]) -> Iterator[Portal]:
    processes = Portal(
        tmp_path,
        {
            **os.environ,
            "PORTAL_ENV": "test",
            **storage_env(settings.storage),
            "MAIL_URL": f"smtp://127.0.0.1:{smtp_server[1]}",
            "WORKER_CONCURRENCY": "2",
        },
    )
    yield processes
    processes.stop()
