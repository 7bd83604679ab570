"""create_sandbox_app(): the sandbox bank, a separate web app on its own origin that plays the card
gateway's side of the Redsys redirect protocol in development and tests (never in production).

It shares nothing with the portal at run time but the merchant's settings (code, terminal, key) and the
template and static folders; it has no database. See operations.py for where its state lives and why it
must run as one process.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import structlog
from litestar import Litestar, Request, Response, get
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.exceptions import HTTPException, PermissionDeniedException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ASGIApp, Receive, Scope, Send

from portal import clock, i18n
from portal.i18n import gettext_noop
from portal.payments.sandbox.bank import SandboxBank
from portal.payments.sandbox.controllers import SandboxBankController
from portal.payments.sandbox.notifier import RETRY_DELAYS, Notifier
from portal.payments.sandbox.operations import OperationStore
from portal.settings import PROJECT_ROOT, ConfigurationError, Settings
from portal.templating import make_environment
from portal.web.logging import RequestLogMiddleware, configure_logging
from portal.web.security import SecurityHeadersMiddleware

log = structlog.get_logger("portal.sandbox")

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
START_PATH = "/sis/realizarPago"

OPERATION_PATH = re.compile(r"/sis/pay/([^/]+)")

TITLES = {
    400: gettext_noop("Something was wrong with that request"),
    403: gettext_noop("This form has expired"),  # the bank refuses nothing else with a 403
    404: gettext_noop("Payment not found"),
    405: gettext_noop("You cannot do that here"),
    413: gettext_noop("That was too large"),
    500: gettext_noop("Sorry, there is a problem with the sandbox bank"),
}
MESSAGES = {
    403: gettext_noop(
        "This form had expired or was sent from elsewhere. Go back, reload the page and try again."
    ),
    404: gettext_noop(
        "This payment does not exist or has expired. Go back to the merchant's site and start again."
    ),
    405: gettext_noop(
        "You may have opened the address of a form directly, or sent a form from a page that is out of date."
        " Go back to the previous page and try again."
    ),
}


class LanguageMiddleware:
    """Every request in English, the bank's language, until its handler (or error page) finds the
    operation, or the merchant's request, that asks for another (DS_MERCHANT_CONSUMERLANGUAGE): the portal's
    DEFAULT_LANGUAGE is not the bank's."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with i18n.speaking(i18n.SOURCE_LANGUAGE):
            await self.app(scope, receive, send)


def serves_gateway(settings: Settings) -> bool:
    """Whether the gateway address is this machine's sandbox bank (so `portal run` should start it)."""
    parts = urlsplit(settings.gateway.url)
    return (
        not settings.is_production
        and parts.hostname in LOOPBACK
        and parts.port == settings.gateway.sandbox_port
        and parts.path == START_PATH
    )


def sandbox_url(settings: Settings) -> str:
    """The sandbox bank's own address (its origin)."""
    parts = urlsplit(settings.gateway.url)
    return f"{parts.scheme}://{parts.netloc}"


def security_headers(secure: bool) -> dict[str, str]:
    policy = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        # Every form posts to the bank itself; the way back to the merchant is a plain link.
        "form-action": ["'self'"],
    }
    headers = {
        "content-security-policy": "; ".join(f"{k} {' '.join(v)}" for k, v in policy.items()),
        "x-content-type-options": "nosniff",
        # The operation id in the address must not travel to the merchant in a Referer header.
        "referrer-policy": "no-referrer",
        "x-frame-options": "DENY",
        "cross-origin-opener-policy": "same-origin",
        "cache-control": "no-store",
        "x-robots-tag": "noindex",
    }
    if secure:
        headers["strict-transport-security"] = "max-age=63072000"
    return headers


def _error_page(request: Request[Any, Any, Any], status: int) -> Template:
    # On an operation's pages (an expired form, say), in the payer's language.
    match = OPERATION_PATH.match(request.url.path)
    operation = request.app.state.bank.get(match[1]) if match else None
    if operation is not None:
        i18n.choose(operation.request.language)
    message = MESSAGES.get(status)
    return Template(
        template_name="sandbox/error.html",
        context={
            "status": status,
            "title": i18n.gettext(TITLES.get(status, TITLES[400])),
            "message": i18n.gettext(message) if message else None,
        },
        status_code=status,
    )


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, PermissionDeniedException) and "CSRF" in str(exc.detail):
        log.warning("security.csrf_rejected", path=request.url.path)
    status = exc.status_code if exc.status_code in TITLES else 400
    return _error_page(request, status)


def _server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled_error", path=request.url.path)
    return _error_page(request, 500)


@get("/healthz", name="sandbox_health", media_type="text/plain")
async def healthz() -> str:
    return "ok"


def create_sandbox_app(
    settings: Settings | None = None, *, retry_delays: Sequence[float] = RETRY_DELAYS
) -> Litestar:
    settings = settings or Settings.from_env()
    if settings.is_production:
        raise ConfigurationError("The sandbox bank is for development and tests: not in production")
    configure_logging(settings.log_level)
    clock.configure(settings)
    notifier = Notifier(settings.gateway.secret, retry_delays)
    bank = SandboxBank(settings.gateway, OperationStore(), notifier)
    secure = settings.gateway.url.startswith("https://")

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await notifier.close()

    environment = make_environment()
    environment.globals.update(merchant_name=settings.issuer.name)
    app = Litestar(
        route_handlers=[
            SandboxBankController,
            healthz,
            create_static_files_router(path="/static", directories=[PROJECT_ROOT / "static"], name="static"),
        ],
        dependencies={"bank": Provide(lambda: bank, sync_to_thread=False)},
        lifespan=[lifespan],
        logging_config=None,  # configure_logging() owns logging, as in portal.app
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(environment)),
        csrf_config=CSRFConfig(
            # Its own per-process key: the sandbox shares no secret with the portal but the merchant's.
            secret=secrets.token_urlsafe(32),
            # Cookies ignore ports: on 127.0.0.1 the portal's cookies and ours would collide, so ours has a
            # name of its own. (Its path stays "/": a narrower one would make every GET outside it, such as
            # a stylesheet, mint and set a new token that the open form no longer matches.)
            cookie_name="sandbox_bank_csrf",
            cookie_path="/",
            cookie_secure=secure,
            cookie_httponly=True,
            cookie_samesite="lax",
            # The merchant's form comes from another site; its signature is what proves it.
            exclude=[START_PATH, "/healthz"],
        ),
        exception_handlers={HTTPException: _http_error, 500: _server_error, Exception: _server_error},
        openapi_config=None,
        request_max_body_size=65_536,
        debug=False,
    )
    app.state.bank = bank
    app.asgi_handler = RequestLogMiddleware(
        SecurityHeadersMiddleware(LanguageMiddleware(app.asgi_handler), security_headers(secure))
    )
    return app
