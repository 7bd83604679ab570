"""The answers of "Request download": the file name is cleaned, the period is worked out, and every
mistake gets its own message."""

from __future__ import annotations

import datetime as dt

import pytest

from portal import i18n
from portal.downloads.forms import DetailsForm, check_details, clean_file_name, period_of
from portal.web.months import TypedMonth

TODAY = dt.date(2026, 11, 28)


@pytest.mark.parametrize(
    ("typed", "cleaned"),
    [
        ("Bills 2026", "Bills 2026.zip"),
        ("bills.zip", "bills.zip"),
        ("Facturas año 2026 — Ñandú", "Facturas año 2026 — Ñandú.zip"),
        ("../../etc/passwd", "etc-passwd.zip"),
        ("..\\..\\windows\\system32", "windows-system32.zip"),
        ("/absolute/path", "absolute-path.zip"),
        ("  spaced   out  ", "spaced out.zip"),
        ('quote"and<tags>', "quote-and-tags.zip"),
        ("new\nline\ttab", "new line tab.zip"),
        (".hidden", "hidden.zip"),
        ("CON", "CON-bills.zip"),
        ("x" * 300, "x" * 100 + ".zip"),
        ("...", ""),
        ("///", ""),
        ("", ""),
    ],
)
def test_file_names_are_cleaned(typed: str, cleaned: str) -> None:
    assert clean_file_name(typed) == cleaned


def test_cleaned_names_never_leave_a_folder() -> None:
    for typed in ("../a", "a/../../b", "C:\\x", "..", "a\x00b", "\u202egnp.exe"):
        name = clean_file_name(typed)
        assert "/" not in name and "\\" not in name and not name.startswith(".") and "\x00" not in name
        assert "\u202e" not in name


def test_presets() -> None:
    assert period_of("last_3", "", "", TODAY) == (dt.date(2026, 9, 1), TODAY)
    assert period_of("last_6", "", "", TODAY) == (dt.date(2026, 6, 1), TODAY)
    assert period_of("last_12", "", "", TODAY) == (dt.date(2025, 12, 1), TODAY)
    assert period_of("this_year", "", "", TODAY) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert period_of("last_year", "", "", TODAY) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert period_of("custom", "2024-02", "2024-02", TODAY) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert period_of("last_3", "", "", dt.date(2026, 1, 15)) == (dt.date(2025, 11, 1), dt.date(2026, 1, 15))


def test_a_complete_answer() -> None:
    checked, errors = check_details(
        DetailsForm(
            "Bills", "custom", TypedMonth("1", "2026"), TypedMonth("jun", "2026"), "identity", "33127845-w"
        ),
        TODAY,
    )
    assert errors == {}
    assert checked is not None
    assert checked.file_name == "Bills.zip"
    assert (checked.period_from, checked.period_to) == (dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    assert checked.selector == "33127845W"
    checked, _ = check_details(
        DetailsForm("Bills", "last_3", TypedMonth("1", "2020"), TypedMonth(), "account", " 0001000413 "),
        TODAY,
    )
    assert checked is not None and checked.selector == "0001000413" and checked.custom_from == ""


def test_every_field_is_mandatory() -> None:
    _, errors = check_details(DetailsForm(), TODAY)
    assert list(errors) == ["name", "period", "select_by"]
    _, errors = check_details(DetailsForm("x", "custom", TypedMonth(), TypedMonth(), "account", ""), TODAY)
    assert errors == {
        "period_from": "Enter the first month of the period",
        "period_to": "Enter the last month of the period",
        "selector_account": "Enter the account number",
    }


def test_period_end_before_start() -> None:
    _, errors = check_details(
        DetailsForm("x", "custom", TypedMonth("6", "2026"), TypedMonth("1", "2026"), "identity", "X"), TODAY
    )
    assert errors == {"period_to": "Last month must be the same as the first month or a later one"}


def test_each_month_field_names_itself_in_its_error() -> None:
    _, errors = check_details(
        DetailsForm("x", "custom", TypedMonth("June", ""), TypedMonth("13", "2026"), "identity", "X"), TODAY
    )
    assert errors == {
        "period_from": "First month must include a year",
        "period_to": "Last month must be a real month: enter its number, from 1 to 12",
    }
    _, errors = check_details(
        DetailsForm("x", "custom", TypedMonth("", "2026"), TypedMonth("1", "26"), "identity", "X"), TODAY
    )
    assert errors == {
        "period_from": "First month must include a month",
        "period_to": "Last month must include a year of 4 digits, such as 2026",
    }


def test_a_name_without_letters_or_digits() -> None:
    _, errors = check_details(DetailsForm("../..", "last_3", "", "", "identity", "X"), TODAY)
    assert errors == {"name": "Enter a name with at least one letter or digit"}


def test_the_month_messages_are_in_the_pages_language() -> None:
    with i18n.speaking("es"):
        _, blank = check_details(
            DetailsForm("x", "custom", TypedMonth(), TypedMonth(), "identity", "X"), TODAY
        )
        typed = DetailsForm("x", "custom", TypedMonth("June", ""), TypedMonth("13", "2026"), "identity", "X")
        _, wrong = check_details(typed, TODAY)
    assert blank == {
        "period_from": "Introduzca el primer mes del periodo",
        "period_to": "Introduzca el último mes del periodo",
    }
    assert wrong == {
        "period_from": "«Primer mes» debe incluir el año",
        "period_to": "«Último mes» debe ser un mes real: escriba su número, del 1 al 12",
    }
