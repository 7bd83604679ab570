"""Every error is answered with an HTML page, for plain and htmx requests alike; never JSON."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import structlog
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Template
from litestar.status_codes import (
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from litestar.types import AfterExceptionHookHandler, Scope

from portal.i18n import gettext as _
from portal.i18n import gettext_noop
from portal.infra.queue import QueueUnavailable
from portal.viewer import Viewer
from portal.web.forms import local_path
from portal.web.pages import go_to, htmx_instruction, is_partial, page_address
from portal.web.sessions import SessionStore, read_viewer, viewer_read, was_viewer_read

log = structlog.get_logger("portal.errors")


class Busy(HTTPException):
    """Work the server has no room for right now: refused at once, with when to come back, rather than
    queued (a queue that grows makes every request slower)."""

    status_code = 429


TITLES = {
    400: gettext_noop("Something was wrong with that request"),
    403: gettext_noop("You cannot do that"),
    404: gettext_noop("Page not found"),
    405: gettext_noop("You cannot do that here"),
    413: gettext_noop("That was too large"),
    422: gettext_noop("There is a problem with what you sent"),
    429: gettext_noop("Too many attempts"),
    500: gettext_noop("Sorry, there is a problem with the service"),
    503: gettext_noop("Sorry, the service is unavailable"),
}
# What a page of that status says when its cause gives nothing more specific.
MESSAGES = {
    405: gettext_noop(
        "You may have opened the address of a form directly, or sent a form from a page that is out of date."
        " Go back to the previous page and try again."
    ),
}


QUEUE_RETRY_AFTER = 30
"""Seconds a browser is told to wait when the job queue does not answer (a restart takes about that)."""


def error_page(
    status: int,
    *,
    message: str | None = None,
    headers: dict[str, str] | None = None,
    try_again: str | None = None,
    viewer: Viewer | None = None,
    title: str | None = None,
) -> Template:
    """An error page (its status's title and message unless given); `try_again` is the address of a "Try
    again" link (the same page, asked again). With a `viewer`, it is shown inside their signed-in area."""
    return Template(
        template_name=f"pages/errors/{status if status in (404, 500) else 'generic'}.html",
        context={
            "status": status,
            "title": title or _(TITLES.get(status, TITLES[400])),
            "message": message or (_(MESSAGES[status]) if status in MESSAGES else None),
            "try_again": try_again,
            "viewer": viewer,
        },
        status_code=status,
        # Error pages are answered outside the route handlers, so the app's default does not reach them.
        headers={"cache-control": "no-store", **(headers or {})},
    )


def viewer_for_error_pages(sessions: SessionStore) -> AfterExceptionHookHandler:
    """Litestar's hook before the exception handlers (which cannot await): the viewer of an error page
    answered before its page read the session (an address that matches no page, a method it does not take,
    an id or a query refused by the app-wide guard, a body too large, a form token refused), read as the
    pages read it, so that it is shown inside the signed-in area of whoever has a live session. Not for
    a 500 (on the public layout, whatever broke) nor when the page read it already: a page's request
    reads the session once. The read does not extend the session, and if it fails (the database, say) the
    page is shown signed out rather than turned into a 500."""

    async def read(exc: Exception, scope: Scope) -> None:
        if scope["type"] != "http" or not isinstance(exc, (HTTPException, QueueUnavailable)):
            return
        request: Request[Any, Any, Any] = Request(scope)
        if was_viewer_read(request) or sessions.token_from(request) is None:
            return
        try:
            await read_viewer(request, sessions, touch=False)
        except Exception:  # whatever failed, the page is answered signed out
            log.warning("error_page.viewer_unavailable", path=request.url.path, exc_info=True)

    return read


def _whole_page(request: Request[Any, Any, Any], page: Template) -> Template:
    """An error page answering a partial request takes the whole window, as a boosted page would, rather
    than the part of the page that asked (a header, a footer and a menu inside a box)."""
    if is_partial(request):
        page.headers.update({"hx-retarget": "body", "hx-reswap": "innerHTML"})
    return page


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, NotAuthorizedException):
        # A signed-in page without a (live) session: sign in, then come back to the page, query and all (a
        # link from an email carries its token there; a bookmark, its filters). A form sent after the
        # session ended has no page to come back to: its answers are gone with the session.
        target = page_address(request) if request.method == "GET" or is_partial(request) else ""
        query = f"?{urlencode({'next': target})}" if target else ""
        return go_to(request, f"/sign-in{query}")
    if _csrf_rejected(exc):
        log.warning("security.csrf_rejected", path=request.url.path)
        if is_partial(request):
            # The page's token is stale (signed out, or in again, in another tab): the page, asked again,
            # has a new one, or says "Sign in" if the session is gone too.
            return htmx_instruction({"hx-refresh": "true"})
    return _whole_page(request, _error_page_for(request, exc))


def _csrf_rejected(exc: HTTPException) -> bool:
    return isinstance(exc, PermissionDeniedException) and "CSRF" in str(exc.detail)


def _error_page_for(request: Request[Any, Any, Any], exc: HTTPException) -> Template:
    status = exc.status_code
    viewer = viewer_read(request)
    if _csrf_rejected(exc):
        return error_page(
            403,
            title=_("This form has expired"),
            message=_(
                "This form had expired or was sent from elsewhere. Go back, reload the page and try again."
            ),
            viewer=viewer,
        )
    if isinstance(exc, ValidationException):
        # Forms validate their own input and re-render themselves; this is the net below them
        # (a malformed path or query parameter, or a body that is not a form at all).
        return error_page(
            HTTP_422_UNPROCESSABLE_ENTITY,
            message=_("Check the address or the form and try again."),
            viewer=viewer,
        )
    if isinstance(exc, Busy):
        return error_page(status, message=exc.detail, headers={"retry-after": "5"}, viewer=viewer)
    headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() in {"allow", "retry-after"}}
    return error_page(status, headers=headers, viewer=viewer)


def queue_unavailable_handler(request: Request[Any, Any, Any], exc: QueueUnavailable) -> Response[Any]:
    """A file that a job makes, asked for while the job queue does not answer: say so, and when to come
    back, rather than a 500. (A step whose work is saved goes through: its job is queued later.)"""
    log.warning("queue.unavailable", path=request.url.path, task=str(exc))
    message = _("We cannot prepare this right now. Try again in a minute.")
    headers = {"retry-after": str(QUEUE_RETRY_AFTER), "cache-control": "no-store"}
    if is_partial(request):
        # A status poll: its place in the page says so (the poll goes on); "Try again" asks for the page.
        return Template(
            template_name="partials/errors/unavailable.html",
            context={"message": message, "try_again": local_path(page_address(request))},
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
            headers={**headers, "vary": "HX-Request"},
        )
    return error_page(
        HTTP_503_SERVICE_UNAVAILABLE,
        message=message,
        headers=headers,
        try_again=request.url.path if request.method == "GET" else None,
        viewer=viewer_read(request),
    )


def server_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled_error", path=request.url.path)
    return _whole_page(request, error_page(HTTP_500_INTERNAL_SERVER_ERROR))


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    HTTPException: http_exception_handler,
    QueueUnavailable: queue_unavailable_handler,
    HTTP_500_INTERNAL_SERVER_ERROR: server_error_handler,
    Exception: server_error_handler,
}
