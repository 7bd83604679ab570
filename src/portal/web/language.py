"""The language of each request, and the header's language switcher.

A request is in, by order of precedence: the signed-in user's stored choice (set by
`web.sessions.read_viewer`, on the pages that read the session and the error pages of a live session),
the `language` cookie (set by the switcher, and on signing in to the user's stored choice), the browser's
Accept-Language, and the DEFAULT_LANGUAGE setting. A value the portal does not speak is skipped quietly.

The switcher used while signed out also sets a second cookie, `language_chosen`: the `language` cookie
is set by signing in and out too, so it cannot tell a choice from what a previous sign-in left behind;
signing in stores the chosen language with the account and forgets the cookie
(`portal.accounts.signing_in.settle_language`).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.response import Redirect
from litestar.types import ASGIApp, Receive, Scope, Send

from portal import i18n
from portal.db.tables import User
from portal.settings import Settings
from portal.web.forms import Form, field, local_path
from portal.web.security import host_cookie_name
from portal.web.sessions import SessionStore

_ONE_YEAR = 365 * 24 * 3600
SWITCHER_ID = "language-switch"
"""The switcher's button (base.html): the page comes back with the address's fragment naming it, so that the
keyboard focus is where it was (a browser focuses the element a fragment names; portal.js, where it does not)
rather than lost at the top of a new page."""


def language_cookie_name(settings: Settings) -> str:
    return host_cookie_name(settings, "language")


def language_cookie(settings: Settings, language: str) -> Cookie:
    """The browser remembers the language: set by the switcher, and on signing in to the user's stored choice
    (so that the pages that do not read the session, such as sign in and registration, follow it too)."""
    return _cookie(settings, "language", language)


def chosen_language(request: Request[Any, Any, Any], settings: Settings) -> str | None:
    """The language the visitor chose with the switcher while signed out, if any: signing in stores it."""
    return i18n.supported(request.cookies.get(host_cookie_name(settings, "language_chosen")))


def chosen_cookie(settings: Settings, language: str | None) -> Cookie:
    """Set by the switcher while signed out, to `language`; with None, forgotten (signing in stored it)."""
    return _cookie(settings, "language_chosen", language)


def _cookie(settings: Settings, name: str, language: str | None) -> Cookie:
    return Cookie(
        key=host_cookie_name(settings, name),
        value=language or "",
        path="/",
        max_age=_ONE_YEAR if language else 0,
        httponly=True,
        secure=settings.web.secure_cookies,
        samesite="lax",
    )


class LanguageMiddleware:
    """Runs every request, error pages included, in its language (see the module's docstring)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.cookie_name = language_cookie_name(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        language = i18n.supported(connection.cookies.get(self.cookie_name)) or i18n.negotiate(
            connection.headers.get("accept-language", "")
        )
        with i18n.speaking(language):
            await self.app(scope, receive, send)


@post("/language", name="set_language", include_in_schema=False)
async def set_language(
    request: Request[Any, Any, Any],
    data: Form,
    settings: NamedDependency[Settings],
    sessions: NamedDependency[SessionStore],
) -> Redirect:
    """The switcher: remember the language (in a cookie, and for a signed-in user in their account, so
    that their emails and PDFs are in it too; signed out, as the choice that signing in stores) and go
    back to the page it was used on, to the switcher."""
    destination = f"{local_path(field(data, 'return_to')) or '/'}#{SWITCHER_ID}"
    language = i18n.supported(field(data, "language"))
    if language is None:
        return Redirect(destination, status_code=303)
    cookies = [language_cookie(settings, language)]
    viewer = await sessions.load(sessions.token_from(request))
    if viewer is not None:
        await User.update({User.language: language}).where(User.id == viewer.user_id)
    else:
        cookies.append(chosen_cookie(settings, language))
    return Redirect(destination, status_code=303, cookies=cookies)
