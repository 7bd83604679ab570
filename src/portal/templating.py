"""The one Jinja environment: pages (through Litestar), emails and PDFs all render with it."""

from __future__ import annotations

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from portal.banking.money import format_eur
from portal.settings import PROJECT_ROOT

TEMPLATES_DIR = PROJECT_ROOT / "templates"


def make_environment() -> Environment:
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
    return env
