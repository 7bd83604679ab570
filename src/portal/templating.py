"""The one Jinja environment: pages (through Litestar), emails and PDFs all render with it, in the web
processes and in the job worker alike."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from portal import i18n
from portal.banking.money import format_eur
from portal.settings import PROJECT_ROOT, Settings

TEMPLATES_DIR = PROJECT_ROOT / "templates"


def make_environment(settings: Settings | None = None) -> Environment:
    """With `settings`, every template knows the utility (`issuer`), the portal's address (`base_url`,
    for the links in emails) and the customers' time zone (`timezone`), and the portal its default
    language. PDFs are drawn from their own data, so they need none of them.

    Every render is in the current language (`portal.i18n`: the request's, or the one an email or PDF is
    rendered in): `_()`/`{% trans %}` translate through its catalogue, `current_language()` names it and the
    filters format dates, times, numbers and euros as it writes them.

    Templates edited on disk are picked up without a restart in development only: elsewhere (production,
    the tests' live servers, the benchmarks) a template is compiled once and the files are not checked
    again before each use (a stat per template, a dozen on every page)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        extensions=["jinja2.ext.i18n"],
        # .txt templates (email bodies and subjects) are plain text, everything else is HTML.
        autoescape=select_autoescape(enabled_extensions=("html", "xml", "svg"), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=settings is not None and settings.environment == "development",
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
    )
    env.globals.update(
        current_language=i18n.current,
        languages=i18n.LANGUAGES,
        language_name=i18n.language_name,
        once=_Once(env),
        document_title=document_title,
    )
    env.filters["eur"] = format_eur
    env.filters["number"] = format_number
    env.filters["day"] = _day
    env.filters["time"] = _time
    env.filters["paid_by"] = paid_by
    if settings is not None:
        i18n.configure(settings.locale.language)
        env.globals.update(issuer=settings.issuer, base_url=settings.web.base_url)
        with_timezone(env, settings.locale.timezone)
    return env


class _Once:
    """`once(name, **params)` in a template: the partial template `name` rendered with `params` alone,
    rendered once per language (and per params) and then reused, for the parts of a page that are the
    same for everyone who reads it in that language: the footer, a status's tag. The partial sees only the
    environment's globals (the utility, url_for, `_`, …, set when the app starts) and its `params`, never
    the page's context (the viewer, the request, a CSRF token), so what it writes cannot vary otherwise.
    `params` are few small hashable values (a status, a path); at most MAX_KEPT renders are kept. A
    template changed on disk (auto_reload, in development) is a new Template object, so it is rendered
    anew."""

    MAX_KEPT = 1024

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.kept: dict[tuple[Any, ...], Markup] = {}

    def __call__(self, name: str, /, **params: Any) -> Markup:
        template = self.env.get_template(name)
        key = (template, i18n.current(), *sorted(params.items()))
        html = self.kept.get(key)
        if html is None:
            if len(self.kept) >= self.MAX_KEPT:
                self.kept.clear()
            # The output of an autoescaping template: safe to write as it is.
            html = self.kept[key] = Markup(template.render(params))  # noqa: S704
        return html


# Dates and times in one style everywhere, "5 Dec 2026" ("5 dic 2026") and "18:21", in the customers' time
# zone: renders get it as `timezone` (a ZoneInfo, from the TIMEZONE setting), as a global or in their context.


def format_day(day: dt.date) -> str:
    """A date as every page and printed document shows it, in the current language: "5 Dec 2026"."""
    return _format_day(day, i18n.current())


@functools.lru_cache(maxsize=4096)
def _format_day(day: dt.date, language: str) -> str:
    """Remembered: a page of bills shows 150 dates, nearly all the same few, and formatting them was a
    tenth of its time."""
    return format_date(day, "medium", locale=i18n.babel_locale(language))


def document_title(page_title: str, issuer_name: str, error: bool = False) -> Markup:
    """A page's <title>: its own, the service's and the issuer's names (the service's once, also on the
    page that bears it), "Error:" first when the page shows form errors. Also for a partial answer that
    changes what the page is (htmx takes a <title> from it). `page_title` may be markup already (a
    template block): Markup's join escapes the plain parts only."""
    service = i18n.gettext("Customer Service Area")
    parts = [page_title] if page_title == service else [page_title, service]
    title = Markup(" – ").join([*parts, issuer_name])
    return Markup("{} {}").format(i18n.gettext("Error:"), title) if error else title


def format_number(number: float | Decimal | str) -> str:
    """A quantity in the current language's way ("0,5" in Spain, in English too), with every decimal it
    has: Babel's default keeps three, and a bill's quantity of 0.0333 (a prorated month) printed 0,033."""
    return format_decimal(number, locale=i18n.babel_locale(), decimal_quantization=False)


@pass_context
def _day(context: Context, day: dt.date) -> str:
    if isinstance(day, dt.datetime):
        day = day.astimezone(context["timezone"])
    return format_day(day)


@pass_context
def _time(context: Context, moment: dt.datetime) -> str:
    return format_time(moment.astimezone(context["timezone"]), "HH:mm", locale=i18n.babel_locale())


_PAID_BY = {
    "card": i18n.gettext_noop("by card"),
    "bank_counter": i18n.gettext_noop("at a bank counter"),
    "direct_debit": i18n.gettext_noop("by direct debit"),
    "transfer": i18n.gettext_noop("by bank transfer"),
}


def paid_by(channel: str) -> str:
    """How a bill was paid, in words ("at a bank counter"); "" when the billing system did not say how
    (a bill imported as paid, or the channel "other")."""
    return i18n.gettext(_PAID_BY[channel]) if channel in _PAID_BY else ""


def with_timezone(env: Environment, timezone: str) -> Environment:
    """The environment with the customers' time zone for every render (see `_day`)."""
    env.globals["timezone"] = ZoneInfo(timezone)
    return env
