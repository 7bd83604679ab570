"""Account numbers: a 9-digit serial and a Luhn check digit."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.banking.accounts import MAX_SERIAL, AccountNumberError, account_number, validate_account_number


def test_account_number_pads_the_serial_and_appends_the_check_digit():
    assert account_number(1) == "0000000018"
    assert account_number(7894) == "0000078949"
    assert account_number(MAX_SERIAL) == "9999999999"


@pytest.mark.parametrize("serial", [0, -1, MAX_SERIAL + 1])
def test_account_number_refuses_serials_out_of_range(serial):
    with pytest.raises(ValueError, match="An account serial is 1 to 999999999"):
        account_number(serial)


@pytest.mark.parametrize("typed", ["0000000018", " 000 000 001-8 ", "0000-0000-18", "000\u00a0000\u00a00018"])
def test_validate_account_number_accepts_spaces_and_hyphens(typed):
    assert validate_account_number(typed) == "0000000018"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter your account number"),
        (" - ", "Enter your account number"),
        ("000000001", "An account number has 10 digits"),
        ("00000000180", "An account number has 10 digits"),
        ("9" * 10_000, "An account number has 10 digits"),
        ("00000000I8", "An account number has 10 digits"),
        ("０００００００００１８"[-10:], "Enter the account number with the digits 0 to 9"),
        ("0000000017", "Check the account number: one of its digits is wrong"),
        ("0000000081", "Check the account number: one of its digits is wrong"),
    ],
)
def test_validate_account_number_says_what_to_fix(typed, message):
    with pytest.raises(AccountNumberError) as error:
        validate_account_number(typed)
    assert error.value.message.startswith(message)
    assert str(error.value) == error.value.message


_serials = st.integers(min_value=1, max_value=MAX_SERIAL)


@given(_serials)
def test_account_numbers_round_trip(serial):
    number = account_number(serial)
    assert len(number) == 10
    assert int(number[:9]) == serial
    assert validate_account_number(number) == number


@given(_serials, st.integers(0, 9), st.integers(1, 9))
def test_any_single_digit_change_is_caught(serial, position, shift):
    digits = list(account_number(serial))
    digits[position] = str((int(digits[position]) + shift) % 10)
    with pytest.raises(AccountNumberError, match="Check the account number"):
        validate_account_number("".join(digits))


@given(st.text())
def test_validate_account_number_of_any_text_is_a_number_or_an_account_number_error(text):
    try:
        number = validate_account_number(text)
    except AccountNumberError:
        return
    assert len(number) == 10
    assert number.isascii()
    assert number.isdigit()
