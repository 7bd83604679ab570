"""Amounts: parsing what payers type, formatting cents for people."""

import pytest
from babel import Locale
from hypothesis import given
from hypothesis import strategies as st

from portal import i18n
from portal.banking import money
from portal.banking.money import MAX_AMOUNT_CENTS, AmountError, format_eur, parse_amount


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("53,98", 5398),
        ("53.98", 5398),
        ("1.234,56", 123456),
        ("1,234.56", 123456),
        ("1.234.567", 123456700),
        ("1,234,567.8", 123456780),
        ("53", 5300),
        ("053,9", 5390),
        ("0,01", 1),
        ("€ 53,98", 5398),
        ("€53.98", 5398),
        ("53,98 €", 5398),
        ("  53,98\u00a0€ ", 5398),
        ("99.999.999,99", MAX_AMOUNT_CENTS),
        ("0" * 10_000 + "1", 100),
    ],
)
def test_parse_amount_accepts_both_decimal_separators(typed, cents):
    assert parse_amount(typed) == cents


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter an amount"),
        ("  € ", "Enter an amount"),
        ("-53,98", "The amount cannot be negative"),
        ("\u221253,98", "The amount cannot be negative"),
        ("0", "Enter an amount greater than 0"),
        ("0,00", "Enter an amount greater than 0"),
        ("53,985", "Enter the amount with up to 2 decimals"),
        ("1.234", "Enter the amount with up to 2 decimals"),  # thousands or three decimals? do not guess
        ("1,234", "Enter the amount with up to 2 decimals"),
        ("100.000.000", "The amount must be less than 100 million euros"),
        ("99999999,991", "Enter the amount with up to 2 decimals"),
        ("9" * 10_000, "The amount must be less than 100 million euros"),
        ("abc", "Enter the amount in euros, such as 14,69"),
        ("53,98 EUR", "Enter the amount in euros"),
        ("53 98", "Enter the amount in euros"),
        ("53,", "Enter the amount in euros"),
        (",50", "Enter the amount in euros"),
        ("1.23.456", "Enter the amount in euros"),
        ("1,234.567,8", "Enter the amount in euros"),
        ("12.34.56", "Enter the amount in euros"),
        ("５３,９８", "Enter the amount with the digits 0 to 9, such as 14,69"),
        ("53,9٨", "Enter the amount with the digits 0 to 9"),
        ("€€5", "Enter the amount in euros"),
    ],
)
def test_parse_amount_says_what_to_fix(typed, message):
    with pytest.raises(AmountError) as error:
        parse_amount(typed)
    assert error.value.message.startswith(message)
    assert str(error.value) == error.value.message


@pytest.mark.parametrize("typed", ["0", "0,00", "0.0 €", "000"])
def test_a_bill_total_may_be_0_where_zero_is_allowed(typed):
    assert parse_amount(typed, zero_allowed=True) == 0
    with pytest.raises(AmountError):
        parse_amount(typed)


@pytest.mark.parametrize(
    ("cents", "spanish", "english"),
    [
        (123456, "1.234,56\u00a0€", "€1,234.56"),
        (5398, "53,98\u00a0€", "€53.98"),
        (5, "0,05\u00a0€", "€0.05"),
        (0, "0,00\u00a0€", "€0.00"),
        (-123456, "-1.234,56\u00a0€", "-€1,234.56"),
        (MAX_AMOUNT_CENTS, "99.999.999,99\u00a0€", "€99,999,999.99"),
    ],
)
def test_format_eur(cents, spanish, english):
    """Every language is written as in Spain (the bills and the bank write amounts so); another locale
    may be asked for."""
    for language in i18n.LANGUAGES:
        with i18n.speaking(language):
            assert format_eur(cents) == spanish
    assert format_eur(cents, Locale("en")) == english


# Every amount up to 20 € and every 613th cent up to 100,000 €, both signs; hypothesis picks others.
_CENTS = [*range(2_000), *range(2_000, 10_000_000, 613)]


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_format_eur_writes_what_babel_writes(language):
    """format_eur writes integer cents itself (Babel took a tenth of a page of bills): byte for byte what
    Babel's format_currency writes, in every language the portal speaks."""
    locale = i18n.babel_locale(language)
    assert money._language_eur(language) is not None, "the fast way is not used for this language"
    with i18n.speaking(language):
        for cents in _CENTS:
            assert format_eur(cents) == money._babel_eur(cents, locale), cents
            assert format_eur(-cents) == money._babel_eur(-cents, locale), -cents


@given(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.sampled_from(["es_ES", "en_ES", "en", "fr_FR", "de_DE", "de_CH", "hi_IN", "ar_EG", "nl_NL", "pt_PT"]),
)
def test_format_eur_of_any_amount_in_any_locale_is_babels(cents, locale):
    """Where the way a locale writes euros does not fit the fast way (Swiss German writes "EUR-1234.56", Hindi
    groups digits in twos), Babel writes every amount."""
    assert format_eur(cents, Locale.parse(locale)) == money._babel_eur(cents, Locale.parse(locale))


@given(st.integers(min_value=1, max_value=MAX_AMOUNT_CENTS), st.sampled_from(["es_ES", "en_ES", "en"]))
def test_formatted_amounts_parse_back(cents, locale):
    assert parse_amount(format_eur(cents, Locale.parse(locale))) == cents


@given(st.text())
def test_parse_amount_of_any_text_is_an_amount_or_an_amount_error(text):
    try:
        cents = parse_amount(text)
    except AmountError:
        return
    assert 0 < cents <= MAX_AMOUNT_CENTS
