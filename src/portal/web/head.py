"""HEAD, answered as GET without the body: every general-purpose server must support it (RFC 9110, 9.3.2),
and uptime monitors and link checkers send it; Litestar routes HEAD only to handlers that declare it, so
every page answered 405. GET never changes state, so HEAD runs it as is; the status and headers (the
length of the body included) are GET's."""

from __future__ import annotations

from typing import cast

from litestar.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGetMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app(cast("Scope", {**scope, "method": "GET"}), receive, without_body)
