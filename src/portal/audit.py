"""Security events (sign-ins, failures, throttles, activations, resets, account additions), kept in the
audit_event table and logged. Callers pass identifiers and outcomes, never passwords or tokens."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from typing import Any

import structlog

from portal import clock
from portal.db.tables import AuditEvent

log = structlog.get_logger("portal.audit")


@dataclass(frozen=True)
class Origin:
    """Where a request came from, for audit and throttling."""

    ip: str
    request_id: str


COMMAND = Origin(ip="", request_id="")
"""An operator's command (`portal access remove`): no client address nor request; its events say who ran
it (`operator`)."""


def operator(given: str | None = None) -> str:
    """Who runs a command, for its record: the name given (`--by`), else the system user."""
    if given:
        return given
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


async def record(event: str, origin: Origin, *, user_id: int | None = None, **detail: Any) -> None:
    await AuditEvent.insert(
        AuditEvent(
            event=event,
            user=user_id,
            ip=origin.ip,
            request_id=origin.request_id,
            detail=detail,
            at=clock.now(),
        )
    )
    log.info("audit", audit_event=event, user_id=user_id, ip=origin.ip, **detail)
