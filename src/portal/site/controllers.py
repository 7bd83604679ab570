"""The public pages: home, privacy and cookies, the accessibility statement."""

from __future__ import annotations

from litestar import Controller, get
from litestar.response import Template


class SiteController(Controller):
    @get("/", name="home")
    async def home(self) -> Template:
        return Template(template_name="pages/site/home.html")

    @get("/privacy", name="privacy")
    async def privacy(self) -> Template:
        return Template(template_name="pages/site/privacy.html")

    @get("/accessibility", name="accessibility")
    async def accessibility(self) -> Template:
        return Template(template_name="pages/site/accessibility.html")
