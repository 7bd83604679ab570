"""Structured logs (JSON lines) with a request id on every line logged while serving a request."""

from __future__ import annotations

import logging
import re
import time
import uuid

import structlog
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from structlog.typing import Processor

from portal.infra.metrics import observe_request

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class PeriodicJobsAtDebug(logging.Filter):
    """SAQ logs each job it enqueues, schedules, starts and finishes at INFO. The worker's sweeps run every
    15 s and every minute: ≈ 17,000 lines a day of a worker doing nothing, burying the lines that matter.
    Theirs (SAQ names their key `cron:<task>`) become DEBUG lines; failures are warnings and stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or not isinstance(record.args, tuple):
            return True
        if not any("cron:" in str(arg) for arg in record.args):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


PERIODIC_JOBS_AT_DEBUG = PeriodicJobsAtDebug()


QUIET_LIBRARIES = ("weasyprint.progress", "pgserver")
"""Loggers whose INFO lines narrate their work step by step, kept to warnings and errors below DEBUG:
WeasyPrint's seven steps of each PDF (7,000 lines for a 1,000-bill download), pgserver's every command it
runs with its whole output (a dozen lines before any command on the embedded database)."""


def configure_logging(level: str) -> None:
    """Route both structlog and the standard library (uvicorn, saq, piccolo) through one JSON renderer."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # One line per request comes from RequestLogMiddleware; uvicorn's access log would repeat it.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("saq").addFilter(PERIODIC_JOBS_AT_DEBUG)
    for chatty in QUIET_LIBRARIES:
        logging.getLogger(chatty).setLevel(logging.NOTSET if root.level <= logging.DEBUG else logging.WARNING)


class RequestLogMiddleware:
    """Gives each request an id (kept from a trusted-looking X-Request-ID), binds it to every log line,
    returns it in the response, logs method, path (never the query: it may hold tokens) and status, and
    counts the request in the metrics by its route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = structlog.get_logger("portal.request")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = b""
        for name, value in scope["headers"]:  # the last one, if sent twice (as dict() would keep)
            if name == b"x-request-id":
                incoming = value
        text = incoming.decode("latin-1")
        request_id = text if REQUEST_ID.match(text) else str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()
        answered: float | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", request_id.encode())]
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                answered = time.perf_counter()

        # Bound for every line logged while serving the request, then set back as it was: what
        # structlog's bound_contextvars() does, without first copying every context variable.
        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            # The time the client waited for the answer: work a response leaves for after it (the
            # forgotten password's link, `background`) is not part of it.
            seconds = (answered or time.perf_counter()) - started
            # The route as declared (`/bills/{bill_id:int}`), set by Litestar's router when one matched.
            observe_request(str(scope.get("method", "")), scope.get("path_template"), status, seconds)
            self.log.info(
                "request",
                method=scope.get("method", ""),
                path=scope["path"],
                status=status,
                duration_ms=round(seconds * 1000, 1),
            )
            structlog.contextvars.reset_contextvars(**tokens)
