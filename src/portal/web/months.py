"""A month typed in two fields, month and year (GOV.UK's date input without the day), as My bills' period
and the massive download's chosen months ask for it: `templates/components/month_input.html` draws them."""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from babel import Locale, localedata

from portal import i18n
from portal.i18n import gettext as _
from portal.web.forms import field


# "3", "03", "mar", "March" and "marzo" all mean March: people type a month all these ways.
def _plain(name: str) -> str:
    """A month name as compared: any case, no accents, no abbreviation dot ("Sept." is "sept")."""
    decomposed = unicodedata.normalize("NFKD", name.strip().rstrip(".").casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@cache
def _month_names() -> dict[str, int]:
    """Every full and abbreviated month name, in every region's spelling, of every language the portal
    speaks, from Babel's locale data: a page's fields take any of them ("marzo" on the English page,
    "March" on the Spanish one: people type the name they know), and so does a new language. Regions
    differ ("sept" in Spain, "set." and "setiembre" in Peru); a name two languages give to different
    months would mean neither, so it is left out."""
    numbers: dict[str, set[int]] = {}
    for identifier in localedata.locale_identifiers():
        locale = Locale.parse(identifier)
        if locale.language not in i18n.LANGUAGES or locale.script:  # not the Deseret alphabet, say
            continue
        for context in locale.months.values():
            # Not the narrow names, one letter each ("F"): a typo more often than a month.
            for names in (context["wide"], context["abbreviated"]):
                for number, name in names.items():
                    numbers.setdefault(_plain(name), set()).add(number)
    return {name: next(iter(found)) for name, found in numbers.items() if len(found) == 1}


FIRST_YEAR, LAST_YEAR = 1900, 2999
"""The years a month field takes: a year outside them is a typo, no billing period."""


@dataclass(frozen=True)
class TypedMonth:
    """The two fields as typed, so that a page can show them back whatever they hold."""

    month: str = ""
    year: str = ""

    @classmethod
    def read(cls, data: Mapping[str, Any], name: str) -> TypedMonth:
        """The fields `{name}_month` and `{name}_year` of a form or query string."""
        return cls(field(dict(data), f"{name}_month"), field(dict(data), f"{name}_year"))

    @classmethod
    def from_iso(cls, text: str) -> TypedMonth:
        """A month kept as "2026-03" (empty text: no month), to show in the fields again."""
        year, _, month = text.partition("-")
        return cls(str(int(month)), year) if month else cls()

    @property
    def blank(self) -> bool:
        return not (self.month or self.year)


def first_day(typed: TypedMonth, label: str) -> tuple[dt.date | None, str]:
    """The first day of a month that is not blank, or what is wrong with it, naming the field by its
    label (in the page's language): "Period from must include a year"."""
    named = {"label": label}
    if not typed.month:
        return None, _("%(label)s must include a month") % named
    if not typed.year:
        return None, _("%(label)s must include a year") % named
    # ASCII digits only: "²".isdigit() is true, but int() refuses it.
    if re.fullmatch(r"[0-9]{1,2}", typed.month):
        month = int(typed.month)
    else:
        month = _month_names().get(_plain(typed.month), 0)
    if not 1 <= month <= 12:
        return None, _("%(label)s must be a real month: enter its number, from 1 to 12") % named
    if not re.fullmatch(r"[0-9]{4}", typed.year):
        return None, _("%(label)s must include a year of 4 digits, such as 2026") % named
    if not FIRST_YEAR <= int(typed.year) <= LAST_YEAR:
        return None, _("%(label)s must include a year between %(first)s and %(last)s") % {
            **named,
            "first": FIRST_YEAR,
            "last": LAST_YEAR,
        }
    return dt.date(int(typed.year), month, 1), ""


def last_day(first: dt.date) -> dt.date:
    """The last day of `first`'s month."""
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])
