"""Reading and checking the answers of "Request download": the file name, the billing period and how the
bills are selected. Pure functions: values as typed come in, checked values and messages by field id
(in page order) come out."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from portal.web.forms import Errors, field

PERIOD_PRESETS = {
    "last_3": "Last 3 months",
    "last_6": "Last 6 months",
    "last_12": "Last 12 months",
    "this_year": "This year",
    "last_year": "Last year",
    "custom": "Choose the months",
}
SELECT_BY = {"identity": "By identity document", "account": "By account number"}
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


def _month(text: str, *, end: bool) -> dt.date:
    """ "2026-03" (what <input type="month"> sends) as the first or last day of that month."""
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
    if not match:
        raise ValueError(text)
    first = dt.date(int(match.group(1)), int(match.group(2)), 1)
    if not end:
        return first
    following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def period_of(preset: str, custom_from: str, custom_to: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The dates of a valid period answer (check it with `check_details` first)."""
    if preset in {"last_3", "last_6", "last_12"}:
        return _months_before(today, int(preset.split("_")[1])), today
    if preset == "this_year":
        return dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
    if preset == "last_year":
        return dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)
    return _month(custom_from, end=False), _month(custom_to, end=True)


def normalise_selector(select_by: str, typed: str) -> str:
    if select_by == "account":
        return re.sub(r"[\s-]", "", typed)
    return re.sub(r"[\s.-]", "", typed).upper()


@dataclass(frozen=True)
class Details:
    """The first step's answers, as typed."""

    name: str = ""
    period_preset: str = ""
    custom_from: str = ""
    custom_to: str = ""
    select_by: str = ""
    selector: str = ""


@dataclass(frozen=True)
class CheckedDetails:
    name: str
    file_name: str
    period_preset: str
    custom_from: str
    custom_to: str
    period_from: dt.date
    period_to: dt.date
    select_by: str
    selector: str


def details(data: dict[str, Any]) -> Details:
    select_by = field(data, "select_by")
    return Details(
        name=field(data, "name"),
        period_preset=field(data, "period"),
        custom_from=field(data, "period_from"),
        custom_to=field(data, "period_to"),
        select_by=select_by,
        selector=field(data, "selector"),
    )


def check_details(answers: Details, today: dt.date) -> tuple[CheckedDetails | None, Errors]:
    errors: Errors = {}
    file_name = clean_file_name(answers.name)
    if not answers.name:
        errors["name"] = "Enter a name for the downloaded file"
    elif not file_name:
        errors["name"] = "Enter a name with at least one letter or digit"
    if answers.period_preset not in PERIOD_PRESETS:
        errors["period"] = "Select the billing period"
    elif answers.period_preset == "custom":
        dates: dict[str, dt.date] = {}
        for key, text, end, what in (
            ("period_from", answers.custom_from, False, "start"),
            ("period_to", answers.custom_to, True, "end"),
        ):
            if not text:
                errors[key] = f"Enter the month the period {what}s, like 2026-03"
                continue
            try:
                dates[key] = _month(text, end=end)
            except ValueError:
                errors[key] = "Enter a month like 2026-03"
        if len(dates) == 2 and dates["period_to"] < dates["period_from"]:
            errors["period_to"] = "The end of the period must be after its start"
    if answers.select_by not in SELECT_BY:
        errors["select_by"] = "Select how to choose the bills: by identity document or by account number"
    elif not answers.selector:
        errors["selector"] = (
            "Enter the identity document" if answers.select_by == "identity" else "Enter the account number"
        )
    elif len(answers.selector) > 40:
        errors["selector"] = "Enter an identity document or account number as printed on your bills"
    if errors:
        return None, errors
    period_from, period_to = period_of(answers.period_preset, answers.custom_from, answers.custom_to, today)
    return CheckedDetails(
        name=answers.name,
        file_name=file_name,
        period_preset=answers.period_preset,
        custom_from=answers.custom_from if answers.period_preset == "custom" else "",
        custom_to=answers.custom_to if answers.period_preset == "custom" else "",
        period_from=period_from,
        period_to=period_to,
        select_by=answers.select_by,
        selector=normalise_selector(answers.select_by, answers.selector),
    ), {}
