"""The public pages: home, privacy and cookies, the accessibility statement. Signed-in people see the last
two inside their area; their home is the signed-in one."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.response import Redirect, Template

from portal.viewer import Viewer
from portal.web.pages import page, see_other
from portal.web.sessions import provide_optional_viewer


class SiteController(Controller):
    dependencies = {"signed_in": Provide(provide_optional_viewer)}  # noqa: RUF012 (Litestar's own class attribute)

    @get("/", name="home")
    async def home(self, signed_in: NamedDependency[Viewer | None]) -> Template | Redirect:
        # What the public home offers (sign in, register) is done: the signed-in home is theirs.
        if signed_in is not None:
            return see_other("/account")
        return page("pages/site/home")

    @get("/privacy", name="privacy")
    async def privacy(self, signed_in: NamedDependency[Viewer | None]) -> Template:
        return page("pages/site/privacy", viewer=signed_in)

    @get("/accessibility", name="accessibility")
    async def accessibility(self, signed_in: NamedDependency[Viewer | None]) -> Template:
        return page("pages/site/accessibility", viewer=signed_in)
