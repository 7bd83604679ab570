"""A read-only request (GET, HEAD) whose database connection died under it — the server restarted or
failed over, or a proxy dropped the connection — is answered once more, on a fresh connection from the
pool, rather than with a 500. GET never changes state, so asking twice is safe; other methods are left
alone (their change may or may not have been committed).

Litestar turns an exception into a response right around the route handler, inside any middleware; so
`connection_lost` (an exception handler) marks the request to be asked again, and `RetryReadsMiddleware`
(around the whole app) holds back that first answer and asks again."""

from __future__ import annotations

from typing import Any

import asyncpg
import structlog
from litestar import Request, Response
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ASGIApp, HTTPRequestEvent, Message, Receive, Scope, Send

from portal.web.errors import error_page, server_error_handler

CONNECTION_LOST: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,  # class 08: the connection went away mid-query
    asyncpg.AdminShutdownError,  # the server was stopped or the backend terminated
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,  # the server is starting or stopping
    ConnectionError,  # reset by a peer or a proxy
)
_ASK_AGAIN = "portal.ask_again"
_ASKED_AGAIN = "portal.asked_again"

log = structlog.get_logger("portal.db")


def connection_lost(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    state = request.scope.setdefault("state", {})
    if request.method in {"GET", "HEAD"} and not state.get(_ASKED_AGAIN):
        log.warning("db.connection_lost_retried", path=request.url.path, error=type(exc).__name__)
        state[_ASK_AGAIN] = True
        return error_page(HTTP_500_INTERNAL_SERVER_ERROR)  # never sent: the request is asked again
    return server_error_handler(request, exc)


CONNECTION_LOST_HANDLERS: dict[type[Exception] | int, Any] = dict.fromkeys(CONNECTION_LOST, connection_lost)


class RetryReadsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in {"GET", "HEAD"}:
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})  # type: ignore[typeddict-item]

        async def unless_asked_again(message: Message) -> None:
            if not state.get(_ASK_AGAIN):
                await send(message)

        await self.app(scope, receive, unless_asked_again)
        if state.pop(_ASK_AGAIN, False):
            state[_ASKED_AGAIN] = True
            await self.app(scope, _no_body, send)


async def _no_body() -> HTTPRequestEvent:
    """A GET's body, for its second run (the first read the one `receive` gives)."""
    return {"type": "http.request", "body": b"", "more_body": False}
