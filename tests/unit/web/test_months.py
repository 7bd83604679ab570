"""The month and year fields: every way people type a month is read, and anything else is a message
naming the field, never an exception."""

from __future__ import annotations

import datetime as dt

import pytest

from portal import i18n
from portal.web.months import TypedMonth, first_day


@pytest.mark.parametrize(
    ("month", "year", "first"),
    [
        ("3", "2026", dt.date(2026, 3, 1)),
        ("03", "2026", dt.date(2026, 3, 1)),
        ("mar", "2026", dt.date(2026, 3, 1)),
    ],
)
def test_a_month_typed_any_usual_way(month: str, year: str, first: dt.date) -> None:
    assert first_day(TypedMonth(month, year), "Period from") == (first, "")


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize(
    ("month", "number"),
    [
        ("marzo", 3),
        ("Marzo", 3),
        ("MAR.", 3),
        ("March", 3),
        ("ene", 1),
        ("Jan.", 1),
        ("agosto", 8),
        ("Aug", 8),
        ("septiembre", 9),
        ("setiembre", 9),
        ("sept.", 9),
        ("Sep", 9),
        ("dic", 12),
        ("December", 12),
        (" abril ", 4),
    ],
)
def test_a_month_name_in_any_language_the_portal_speaks(language: str, month: str, number: int) -> None:
    """People type the name they know, whatever the page's language: "marzo" on the English page too."""
    with i18n.speaking(language):
        assert first_day(TypedMonth(month, "2026"), "Period from") == (dt.date(2026, number, 1), "")


@pytest.mark.parametrize("month", ["marz", "m", "f", "ma", "13th", "enero2", "sep-"])
def test_anything_else_is_not_a_month(month: str) -> None:
    first, problem = first_day(TypedMonth(month, "2026"), "Period from")
    assert first is None and problem.startswith("Period from must be a real month")


@pytest.mark.parametrize(
    ("month", "year"),
    [("²", "2026"), ("1", "²⁰²⁶"), ("9" * 40, "2026"), ("1", "9" * 40), ("\x00", "2026"), ("١", "٢٠٢٦")],
)
def test_unicode_digits_and_huge_numbers_get_a_message(month: str, year: str) -> None:
    first, problem = first_day(TypedMonth(month, year), "Period from")
    assert first is None and problem.startswith("Period from must")


@pytest.mark.parametrize(
    ("year", "problem"),
    [
        ("26", "Period from must include a year of 4 digits, such as 2026"),
        ("20260", "Period from must include a year of 4 digits, such as 2026"),
        ("9999", "Period from must include a year between 1900 and 2999"),
        ("1899", "Period from must include a year between 1900 and 2999"),
    ],
)
def test_a_year_of_4_digits_out_of_range_is_told_the_range(year: str, problem: str) -> None:
    """9999 has 4 digits: its message names the years the field takes, not the digits it already has."""
    assert first_day(TypedMonth("3", year), "Period from") == (None, problem)


@pytest.mark.parametrize("year", ["1900", "2999"])
def test_the_first_and_last_years_are_taken(year: str) -> None:
    assert first_day(TypedMonth("3", year), "Period from") == (dt.date(int(year), 3, 1), "")


@pytest.mark.parametrize(
    ("month", "year", "problem"),
    [
        ("", "2026", "«Periodo desde» debe incluir el mes"),
        ("3", "", "«Periodo desde» debe incluir el año"),
        ("13", "2026", "«Periodo desde» debe ser un mes real: escriba su número, del 1 al 12"),
        ("3", "26", "«Periodo desde» debe incluir un año de 4 cifras, como 2026"),
        ("3", "9999", "«Periodo desde» debe incluir un año entre 1900 y 2999"),
    ],
)
def test_the_messages_are_in_the_pages_language(month: str, year: str, problem: str) -> None:
    """The caller names the field in the page's language; the rest of the sentence is translated here."""
    with i18n.speaking("es"):
        assert first_day(TypedMonth(month, year), i18n.gettext("Period from")) == (None, problem)
