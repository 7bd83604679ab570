"""Who is acting: the signed-in user as services receive it. It knows nothing of HTTP (sessions and
cookies are `portal.web.sessions`), so services take it without depending on the web layer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal import clock


@dataclass(frozen=True)
class Viewer:
    """The signed-in user, as every signed-in handler and service receives it."""

    user_id: int
    username: str
    kind: str
    email: str
    session_id: int
    expires_at: dt.datetime
    """When the session ends if nothing else happens (the earlier of the idle and absolute limits)."""
    language: str | None = None
    """The language the user chose, if any: their pages are in it."""

    @property
    def seconds_left(self) -> int:
        """Relative, so that the page's warning does not depend on the browser's clock being right."""
        return max(0, int((self.expires_at - clock.now()).total_seconds()))
