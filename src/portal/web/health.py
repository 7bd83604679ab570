"""Operator endpoints: /healthz (the process answers) and /readyz (the database, the queue and the file
storage answer)."""

from __future__ import annotations

import asyncio

import structlog
from litestar import MediaType, Response, get
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from saq import Queue

from portal.db import engine as db_engine
from portal.infra.storage import Storage

log = structlog.get_logger("portal.health")


@get("/healthz", media_type=MediaType.TEXT, exclude_from_csrf=True, include_in_schema=False)
async def healthz() -> str:
    return "ok"


async def _database_answers() -> bool:
    engine = db_engine()
    await engine.run_ddl("SELECT 1")
    return True


async def _queue_answers(queue: Queue) -> bool:
    await queue.info()
    return True


@get("/readyz", media_type=MediaType.TEXT, include_in_schema=False)
async def readyz(queue: NamedDependency[Queue], storage: NamedDependency[Storage]) -> Response[str]:
    checks = {"database": _database_answers(), "queue": _queue_answers(queue), "storage": storage.answers()}
    results = await asyncio.gather(
        *(asyncio.wait_for(check, timeout=3) for check in checks.values()), return_exceptions=True
    )
    lines = []
    ready = True
    for name, result in zip(checks, results, strict=True):
        if result is True:
            lines.append(f"{name}: ok")
        else:
            ready = False
            lines.append(f"{name}: unavailable")
            log.warning("health.not_ready", check=name, error=type(result).__name__)
    status = HTTP_200_OK if ready else HTTP_503_SERVICE_UNAVAILABLE
    return Response("\n".join(lines) + "\n", status_code=status, media_type=MediaType.TEXT)
