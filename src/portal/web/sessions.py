"""Server-side sessions for signed-in users.

Litestar's server-side session backend reuses any id a client sends (session fixation), so the portal
keeps its own: a random token in an HttpOnly cookie, only its SHA-256 in the database, a new token at every
sign-in and change of privilege, unknown or expired tokens ignored, idle and absolute timeouts. Anonymous
pages never read or write sessions; an error page reads the session only if the request carries its cookie
(`portal.web.errors`), and never extends it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from litestar import Request
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException

from portal import clock, i18n
from portal.db import fetch
from portal.db.tables import Session
from portal.settings import Settings
from portal.viewer import Viewer
from portal.web.security import host_cookie_name
from portal.web.tokens import token_hash

_TOUCH_EVERY = dt.timedelta(seconds=60)  # don't rewrite the row on every request
_VIEWER = "viewer"
"""Where a request keeps the viewer once read (`request.state`), for its error page."""


class SessionStore:
    def __init__(self, settings: Settings) -> None:
        self.idle = dt.timedelta(minutes=settings.web.session_idle_minutes)
        self.absolute = dt.timedelta(hours=settings.web.session_absolute_hours)
        self.secure = settings.web.secure_cookies
        self.cookie_name = host_cookie_name(settings, "session")

    def token_from(self, request: Request[Any, Any, Any]) -> str | None:
        token = request.cookies.get(self.cookie_name)
        return token if token and len(token) <= 100 else None

    async def start(self, user_id: int, replacing: str | None = None) -> str:
        """A new session (new token) for the user; the one it replaces, if any, is deleted."""
        if replacing:
            await self.end(replacing)
        token = secrets.token_urlsafe(32)
        now = clock.now()
        await Session.insert(
            Session(
                token_hash=token_hash(token),
                user=user_id,
                data={},
                created_at=now,
                last_seen_at=now,
                expires_at=now + min(self.idle, self.absolute),
            )
        )
        return token

    async def load(self, token: str | None, *, touch: bool = True) -> Viewer | None:
        """The session's user, or None for no token, a token we never issued, or an expired session. A
        page's read counts as activity (`touch`: the idle time restarts, once a minute at most)."""
        if not token:
            return None
        now = clock.now()
        rows = await fetch(
            "SELECT s.id, s.created_at, s.last_seen_at, s.expires_at, u.id AS user_id, u.username, u.kind,"
            " u.email, u.language FROM web_session s JOIN portal_user u ON u.id = s.user"
            " WHERE s.token_hash = {} AND s.expires_at > {} AND s.created_at > {}",
            token_hash(token),
            now,
            now - self.absolute,
        )
        if not rows:
            return None
        row = rows[0]
        expires_at = row["expires_at"]
        if touch and now - row["last_seen_at"] >= _TOUCH_EVERY:
            expires_at = await self._touch(row["id"], row["created_at"], now)
        return Viewer(
            row["user_id"], row["username"], row["kind"], row["email"], row["id"], expires_at, row["language"]
        )

    async def _touch(self, session_id: int, created_at: dt.datetime, now: dt.datetime) -> dt.datetime:
        expires_at = min(now + self.idle, created_at + self.absolute)
        await Session.update({Session.last_seen_at: now, Session.expires_at: expires_at}).where(
            Session.id == session_id
        )
        return expires_at

    async def extend(self, viewer: Viewer) -> None:
        """ "Stay signed in": restart the idle time now (never past the absolute limit)."""
        session = await Session.select(Session.created_at).where(Session.id == viewer.session_id).first()
        if session is not None:
            await self._touch(viewer.session_id, session["created_at"], clock.now())

    async def end(self, token: str) -> None:
        await Session.delete().where(Session.token_hash == token_hash(token))

    async def end_all(self, user_id: int) -> None:
        await Session.delete().where(Session.user == user_id)

    def cookie(self, token: str) -> Cookie:
        return Cookie(
            key=self.cookie_name,
            value=token,
            path="/",
            httponly=True,
            secure=self.secure,
            samesite="lax",
            max_age=int(self.absolute.total_seconds()),
        )

    def cleared_cookie(self) -> Cookie:
        return Cookie(
            key=self.cookie_name,
            value="",
            path="/",
            httponly=True,
            secure=self.secure,
            samesite="lax",
            max_age=0,
        )


async def purge_sessions() -> None:
    await Session.delete().where(Session.expires_at < clock.now())


async def provide_viewer(request: Request[Any, Any, Any], sessions: NamedDependency[SessionStore]) -> Viewer:
    """Dependency of every signed-in page: the viewer, or 401 (which the error handler turns into a
    redirect to "Sign in")."""
    viewer = await provide_optional_viewer(request, sessions)
    if viewer is None:
        raise NotAuthorizedException()
    return viewer


async def provide_optional_viewer(
    request: Request[Any, Any, Any], sessions: NamedDependency[SessionStore]
) -> Viewer | None:
    """The signed-in viewer, if any: for the pages anyone may see, which signed-in people see inside their
    area. The page is in the language the viewer chose, if they chose one."""
    return await read_viewer(request, sessions)


async def read_viewer(
    request: Request[Any, Any, Any], sessions: SessionStore, *, touch: bool = True
) -> Viewer | None:
    """`provide_optional_viewer`, also for an error page answered before its page read the session
    (`touch=False`: an error page is no activity that keeps a session alive)."""
    viewer = await sessions.load(sessions.token_from(request), touch=touch)
    if viewer is not None:
        i18n.choose(viewer.language)
    # Kept for the error page of this request (portal.web.errors), which is answered outside the handler.
    request.state[_VIEWER] = viewer
    return viewer


def viewer_read(request: Request[Any, Any, Any]) -> Viewer | None:
    """Who is signed in, if this request read the session (`read_viewer`)."""
    return request.state.get(_VIEWER)


def was_viewer_read(request: Request[Any, Any, Any]) -> bool:
    """Whether this request read the session already (even to find nobody signed in)."""
    return _VIEWER in request.state
