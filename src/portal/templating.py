"""The one Jinja environment: pages (through Litestar), emails and PDFs all render with it, in the web
processes and in the job worker alike."""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from portal.banking.money import format_eur
from portal.settings import PROJECT_ROOT, Settings

TEMPLATES_DIR = PROJECT_ROOT / "templates"


def make_environment(settings: Settings | None = None) -> Environment:
    """With `settings`, every template knows the utility (`issuer`), the portal's address (`base_url`,
    for the links in emails) and the customers' time zone (`timezone`). PDFs are drawn from their own data,
    so they need none of them."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        # .txt templates (email bodies and subjects) are plain text, everything else is HTML.
        autoescape=select_autoescape(enabled_extensions=("html", "xml", "svg"), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["eur"] = format_eur
    env.filters["day"] = _day
    env.filters["time"] = _time
    env.filters["paid_by"] = paid_by
    if settings is not None:
        env.globals.update(issuer=settings.issuer, base_url=settings.web.base_url)
        with_timezone(env, settings.locale.timezone)
    return env


# Dates and times in one style everywhere, "5 Dec 2026" and "18:21", in the customers' time zone: renders
# get it as `timezone` (a ZoneInfo, from the TIMEZONE setting), as a global or in their context.


@functools.lru_cache(maxsize=4096)
def format_day(day: dt.date) -> str:
    """A date as every page and printed document shows it: "5 Dec 2026". Remembered: a page of bills shows
    150 dates, nearly all the same few, and strftime was a tenth of its time."""
    return f"{day.day} {day:%b %Y}"


@pass_context
def _day(context: Context, day: dt.date) -> str:
    if isinstance(day, dt.datetime):
        day = day.astimezone(context["timezone"])
    return format_day(day)


@pass_context
def _time(context: Context, moment: dt.datetime) -> str:
    return moment.astimezone(context["timezone"]).strftime("%H:%M")


_PAID_BY = {
    "card": "by card",
    "bank_counter": "at a bank counter",
    "direct_debit": "by direct debit",
    "transfer": "by bank transfer",
}


def paid_by(channel: str) -> str:
    """How a bill was paid, in words ("at a bank counter"); "" when the billing system did not say how
    (a bill imported as paid, or the channel "other")."""
    return _PAID_BY.get(channel, "")


def with_timezone(env: Environment, timezone: str) -> Environment:
    """The environment with the customers' time zone for every render (see `_day`)."""
    env.globals["timezone"] = ZoneInfo(timezone)
    return env
