"""Reading and checking the answers of "Request download": the file name, the billing period and how the
bills are selected. Pure functions: values as typed come in, checked values and messages by field id
(in page order) come out."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from portal.i18n import gettext as _
from portal.i18n import gettext_noop
from portal.web.forms import Errors, field
from portal.web.months import TypedMonth, first_day, last_day

PERIOD_PRESETS = {
    "last_3": gettext_noop("Last 3 months"),
    "last_6": gettext_noop("Last 6 months"),
    "last_12": gettext_noop("Last 12 months"),
    "this_year": gettext_noop("This year"),
    "last_year": gettext_noop("Last year"),
    "custom": gettext_noop("Choose the months"),
}
SELECT_BY = {"identity": gettext_noop("By identity document"), "account": gettext_noop("By account number")}
"""How the bills are selected; each way has its own field, `selector_<way>`, under its radio."""
MAX_NAME = 100
_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
# Path separators, characters Windows refuses in names, and quotes (the name goes into a header).
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def clean_file_name(typed: str) -> str:
    """A safe file name from what was typed: no folders or path tricks, no control or reserved characters,
    unicode kept (NFC), at most 100 characters, ending in `.zip`. Empty when nothing usable is left."""
    name = unicodedata.normalize("NFC", typed)
    name = "".join(" " if unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"} else char for char in name)
    name = _UNSAFE.sub("-", name)
    name = " ".join(name.split())
    if name.lower().endswith(".zip"):
        name = name[:-4]
    name = name.strip(" .-")  # no hidden files, no "..", no trailing dots (Windows drops them)
    if not name or not any(char.isalnum() for char in name):
        return ""
    base, dot, rest = name.partition(".")
    if base.rstrip().upper() in _WINDOWS_RESERVED:  # Windows reads "CON.x" and "CON .x" as the device
        name = f"{base.rstrip()}-bills{dot}{rest}"
    return name[:MAX_NAME].rstrip(" .-") + ".zip"


def _months_before(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months - 1` months before `day`'s month: "last 3 months" in November
    means September, October and November."""
    index = day.year * 12 + day.month - 1 - (months - 1)
    return dt.date(index // 12, index % 12 + 1, 1)


def period_of(preset: str, custom_from: str, custom_to: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The dates of a valid period answer (check it with `check_details` first); chosen months come as
    kept in the draft, "2026-03"."""
    if preset in {"last_3", "last_6", "last_12"}:
        return _months_before(today, int(preset.split("_")[1])), today
    if preset == "this_year":
        return dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
    if preset == "last_year":
        return dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)
    return dt.date.fromisoformat(f"{custom_from}-01"), last_day(dt.date.fromisoformat(f"{custom_to}-01"))


def normalise_selector(select_by: str, typed: str) -> str:
    if select_by == "account":
        return re.sub(r"[\s-]", "", typed)
    return re.sub(r"[\s.-]", "", typed).upper()


@dataclass(frozen=True)
class DetailsForm:
    """The first step's answers, as typed."""

    name: str = ""
    period_preset: str = ""
    custom_from: TypedMonth = dataclass_field(default_factory=TypedMonth)
    custom_to: TypedMonth = dataclass_field(default_factory=TypedMonth)
    select_by: str = ""
    selector: str = ""
    typed_selectors: Mapping[str, str] = dataclass_field(default_factory=dict)
    """Each way's field as typed, chosen or not: shown back after an error, as the months are whatever the
    period (without JavaScript both fields show, and one may be typed before its radio is chosen)."""

    def selector_shown(self, way: str) -> str:
        """What the field of a way of selecting shows: as typed, or the draft's selector under its way."""
        return self.typed_selectors.get(way) or (self.selector if way == self.select_by else "")


@dataclass(frozen=True)
class Details:
    """The first step's answers, checked."""

    name: str
    file_name: str
    period_preset: str
    custom_from: str
    """The first chosen month as kept in the draft, "2026-03" (empty unless the period is chosen)."""
    custom_to: str
    period_from: dt.date
    period_to: dt.date
    select_by: str
    selector: str


def details(data: dict[str, Any]) -> DetailsForm:
    select_by = field(data, "select_by")
    typed = {way: field(data, f"selector_{way}") for way in SELECT_BY}
    return DetailsForm(
        name=field(data, "name"),
        period_preset=field(data, "period"),
        custom_from=TypedMonth.read(data, "period_from"),
        custom_to=TypedMonth.read(data, "period_to"),
        select_by=select_by,
        selector=typed.get(select_by, ""),
        typed_selectors=typed,
    )


def check_details(answers: DetailsForm, today: dt.date) -> tuple[Details | None, Errors]:
    errors: Errors = {}
    file_name = clean_file_name(answers.name)
    if not answers.name:
        errors["name"] = _("Enter a name for the downloaded file")
    elif not file_name:
        errors["name"] = _("Enter a name with at least one letter or digit")
    if answers.period_preset not in PERIOD_PRESETS:
        errors["period"] = _("Select the billing period")
    dates: dict[str, dt.date] = {}
    if answers.period_preset == "custom":
        for key, typed, label, blank in (
            ("period_from", answers.custom_from, _("First month"), _("Enter the first month of the period")),
            ("period_to", answers.custom_to, _("Last month"), _("Enter the last month of the period")),
        ):
            if typed.blank:
                errors[key] = blank
                continue
            first, error = first_day(typed, label)
            if first is None:
                errors[key] = error
            else:
                dates[key] = first
        if len(dates) == 2 and dates["period_to"] < dates["period_from"]:
            errors["period_to"] = _("Last month must be the same as the first month or a later one")
    if answers.select_by not in SELECT_BY:
        errors["select_by"] = _("Select how to choose the bills: by identity document or by account number")
    elif not answers.selector:
        errors[f"selector_{answers.select_by}"] = (
            _("Enter the identity document")
            if answers.select_by == "identity"
            else _("Enter the account number")
        )
    elif len(answers.selector) > 40:
        errors[f"selector_{answers.select_by}"] = (
            _("Enter the identity document as printed on your bills")
            if answers.select_by == "identity"
            else _("Enter the account number as printed on your bills")
        )
    if errors:
        return None, errors
    custom_from, custom_to = (f"{dates[key]:%Y-%m}" if dates else "" for key in ("period_from", "period_to"))
    period_from, period_to = period_of(answers.period_preset, custom_from, custom_to, today)
    return Details(
        name=answers.name,
        file_name=file_name,
        period_preset=answers.period_preset,
        custom_from=custom_from,
        custom_to=custom_to,
        period_from=period_from,
        period_to=period_to,
        select_by=answers.select_by,
        selector=normalise_selector(answers.select_by, answers.selector),
    ), {}
