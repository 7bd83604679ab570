"""The one Jinja environment: pages (through Litestar), emails and PDFs all render with it, in the web
processes and in the job worker alike."""

from __future__ import annotations

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from portal.banking.money import format_eur
from portal.settings import PROJECT_ROOT, Settings

TEMPLATES_DIR = PROJECT_ROOT / "templates"


def make_environment(settings: Settings | None = None) -> Environment:
    """With `settings`, every template knows the utility (`issuer`) and the portal's address (`base_url`,
    for the links in emails). PDFs are drawn from their own data, so they need neither."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        # .txt templates (email bodies and subjects) are plain text, everything else is HTML.
        autoescape=select_autoescape(enabled_extensions=("html", "xml", "svg"), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["eur"] = format_eur
    env.filters["day"] = lambda day: f"{day.day} {day:%b %Y}"
    if settings is not None:
        env.globals.update(issuer=settings.issuer, base_url=settings.web.base_url)
    return env
