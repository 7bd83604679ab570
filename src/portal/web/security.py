"""Security headers, CSP kept as data and applied to every response (after pypi/warehouse csp.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine, Mapping
from typing import Any
from urllib.parse import urlsplit

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from portal.settings import Settings


def host_cookie_name(settings: Settings, name: str) -> str:
    """`__Host-` cookies (this host only, path /, never sent over plain http) must be Secure, which
    plain-http development cannot set."""
    return f"__Host-{name}" if settings.web.secure_cookies else name


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# Posts that carry no CSRF token and may come from anywhere: the health checks, and the gateway's
# notification, which is server to server and proven by its Redsys signature.
CSRF_EXEMPT = ["^/healthz$", "^/readyz$", "^/payments/notification$"]
_CSRF_EXEMPT = re.compile("|".join(CSRF_EXEMPT))
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Coroutine[Any, Any, None]]


def sent_from_here(settings: Settings) -> Guard:
    """App-wide guard beside the CSRF token (OWASP's defence in depth): a browser names the page that
    sends a form in `Origin`, and a form the portal did not serve (another site's, or a sandboxed one's
    "null") is refused as the token's absence is. Requests without `Origin` (older browsers, scripts) are
    left to the token. The request's own origin is accepted beside BASE_URL's, for a deployment reached
    by more than one name."""
    base = origin(settings.web.base_url)

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if connection.scope.get("method") in _SAFE_METHODS or _CSRF_EXEMPT.match(connection.scope["path"]):
            return
        sender = connection.headers.get("origin")
        if sender is None or sender == base or sender == origin(str(connection.base_url)):
            return
        raise PermissionDeniedException(detail="CSRF: the form was sent from another origin")

    return guard


def content_security_policy(settings: Settings) -> dict[str, list[str]]:
    """No inline scripts or styles, no eval; forms may post only to us and to the card gateway."""
    return {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", origin(settings.gateway.url)],
    }


def security_headers(settings: Settings) -> dict[str, str]:
    policy = content_security_policy(settings)
    headers = {
        "content-security-policy": "; ".join(f"{k} {' '.join(v)}" for k, v in policy.items()),
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
        "x-frame-options": "DENY",
        "cross-origin-opener-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    }
    if settings.is_production:
        headers["strict-transport-security"] = "max-age=63072000; includeSubDomains"
    return headers


class SecurityHeadersMiddleware:
    """Adds the security headers (unless the response set one itself). The raw header pairs are built once:
    this runs for every response."""

    def __init__(self, app: ASGIApp, headers: Mapping[str, str]) -> None:
        self.app = app
        self.headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers += [pair for pair in self.headers if pair[0] not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
