"""A month typed in two fields, month and year (GOV.UK's date input without the day), as My bills' period
and the massive download's chosen months ask for it: `templates/components/month_input.html` draws them."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from portal.i18n import gettext as _
from portal.web.forms import field

# "3", "03", "mar" and "March" all mean March: people type a month all these ways.
_MONTH_NAMES = {
    name.lower(): number
    for number in range(1, 13)
    for name in (calendar.month_name[number], calendar.month_abbr[number])
}


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
        month = _MONTH_NAMES.get(typed.month.lower(), 0)
    if not 1 <= month <= 12:
        return None, _("%(label)s must be a real month: enter its number, from 1 to 12") % named
    if not re.fullmatch(r"[0-9]{4}", typed.year) or not 1900 <= int(typed.year) <= 2999:
        return None, _("%(label)s must include a year of 4 digits, such as 2026") % named
    return dt.date(int(typed.year), month, 1), ""


def last_day(first: dt.date) -> dt.date:
    """The last day of `first`'s month."""
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])
