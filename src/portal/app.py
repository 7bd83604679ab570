"""create_app(): plugins, routes, middleware, template engine; nothing else."""

from __future__ import annotations

import functools
import gc
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from portal import clock
from portal.accounts.controllers import PasswordController, RegistrationController, SignInController
from portal.accounts.home_controllers import AccountHomeController
from portal.accounts.profile_controllers import ProfileController
from portal.bills.controllers import BillsController
from portal.db import start_pool
from portal.downloads.controllers import DownloadsController
from portal.infra.queue import connecting, make_queue
from portal.infra.storage import Storage
from portal.notifications.controllers import DevMailboxController
from portal.notifications.mailer import Mailer
from portal.payment_documents.controllers import PaymentDocumentsController
from portal.payments.controllers import PaymentsController
from portal.settings import PROJECT_ROOT, Settings
from portal.site.controllers import SiteController
from portal.templating import make_environment
from portal.web.errors import EXCEPTION_HANDLERS, viewer_for_error_pages
from portal.web.head import HeadAsGetMiddleware
from portal.web.health import healthz, readyz
from portal.web.language import LanguageMiddleware, set_language
from portal.web.logging import RequestLogMiddleware, configure_logging
from portal.web.pages import page_address
from portal.web.params import bounded_address
from portal.web.retry import CONNECTION_LOST_HANDLERS, RetryReadsMiddleware
from portal.web.security import (
    CSRF_EXEMPT,
    SecurityHeadersMiddleware,
    host_cookie_name,
    security_headers,
    sent_from_here,
)
from portal.web.sessions import SessionStore, provide_viewer

# htmx swaps error pages too (the user must see them), keeps no signed-in page in its history cache, and
# adds no inline styles (the CSP forbids them).
HTMX_CONFIG = {
    "responseHandling": [
        {"code": "204", "swap": False},
        {"code": "[23]..", "swap": True},
        {"code": "[45]..", "swap": True, "error": True},
    ],
    "historyCacheSize": 0,
    "refreshOnHistoryMiss": True,
    "includeIndicatorStyles": False,
    "allowEval": False,
    "allowScriptTags": False,
    "selfRequestsOnly": True,
}


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    clock.configure(settings)
    queue = make_queue(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        engine = await start_pool(max_size=10)
        try:
            # Serving starts once the queue is connected, or a few seconds into an outage of it (then
            # /readyz says 503, and pages that need the queue say it is unavailable, until it answers).
            async with connecting(queue):
                # What is loaded by now (modules, templates, the app) lives as long as the process: out of
                # the garbage collector's reach, its full collections no longer walk it on every request's
                # allocations.
                gc.freeze()
                yield
        finally:
            await engine.close_connection_pool()

    environment = make_environment(settings)
    environment.globals.update(
        htmx_config=json.dumps(HTMX_CONFIG),
        session_idle_minutes=settings.web.session_idle_minutes,
        page_address=page_address,
    )

    sessions = SessionStore(settings)
    mailer = Mailer(env=environment, queue=queue, settings=settings)
    storage = Storage(settings.storage)

    route_handlers: list = [
        SiteController,
        SignInController,
        RegistrationController,
        PasswordController,
        AccountHomeController,
        ProfileController,
        BillsController,
        DownloadsController,
        PaymentDocumentsController,
        PaymentsController,
        set_language,
        healthz,
        readyz,
        create_static_files_router(
            path="/static",
            directories=[PROJECT_ROOT / "static"],
            name="static",
            # The same for everyone, unlike every other response (see `cache_control` below).
            cache_control=CacheControlHeader(no_cache=True),
        ),
    ]
    if not settings.is_production and settings.mail.is_dev_mailbox:
        route_handlers.append(DevMailboxController)

    app = Litestar(
        route_handlers=route_handlers,
        dependencies={
            "settings": Provide(lambda: settings, sync_to_thread=False),
            "queue": Provide(lambda: queue, sync_to_thread=False),
            "sessions": Provide(lambda: sessions, sync_to_thread=False),
            "mailer": Provide(lambda: mailer, sync_to_thread=False),
            "storage": Provide(lambda: storage, sync_to_thread=False),
            "viewer": Provide(provide_viewer),
        },
        lifespan=[lifespan],
        guards=[bounded_address, sent_from_here(settings)],
        # Pages show personal or payment data, and a shared computer's Back button must not show them
        # after sign-out: no response but the static files is kept by any cache.
        cache_control=CacheControlHeader(no_store=True),
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(environment)),
        csrf_config=CSRFConfig(
            secret=settings.web.secret_key,
            cookie_name=host_cookie_name(settings, "csrf"),
            cookie_secure=settings.web.secure_cookies,
            cookie_httponly=True,
            cookie_samesite="lax",
            exclude=CSRF_EXEMPT,
        ),
        exception_handlers={**EXCEPTION_HANDLERS, **CONNECTION_LOST_HANDLERS},
        after_exception=[viewer_for_error_pages(sessions)],
        openapi_config=None,
        # configure_logging() owns logging: Litestar's default config would replace its JSON handler with
        # a plain-text one and turn uvicorn's access log back on (every request logged twice).
        logging_config=None,
        # Forms are small; a larger body is refused (413) before anything reads it.
        request_max_body_size=1_048_576,
        debug=False,
    )
    # A route's path never changes while the app runs, and a page asks for a dozen (layout, menus, forms):
    # remembered, rather than reversed through the routing tables each time. Replaces Litestar's url_for.
    environment.globals["url_for"] = functools.lru_cache(maxsize=1024)(app.route_reverse)
    # Litestar runs `middleware=[…]` only for requests that match a route; these must also see the
    # 404s and 405s that its router answers, so they wrap the whole ASGI handler.
    app.asgi_handler = RequestLogMiddleware(
        SecurityHeadersMiddleware(
            LanguageMiddleware(RetryReadsMiddleware(HeadAsGetMiddleware(app.asgi_handler)), settings),
            security_headers(settings),
        )
    )
    return app
