"""What people type in the accounts forms: usernames, emails, bill details and redirect targets."""

import pytest

from portal import i18n
from portal.accounts.forms import (
    BillDetails,
    BillDetailsForm,
    bill_details,
    check_bill_details,
    checkbox,
    username_problem,
)
from portal.web.forms import email_problem, field

USERNAME_RULE = "Your username must be 3 to 60 letters, digits, dots, hyphens or underscores, with no spaces"
EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"
BILL_NUMBER_FORMAT = "Enter the bill number as it is printed, 2 letters and 11 digits, like FA00000000025"
COMPANY_GOT_A_DNI = (
    "This looks like a personal DNI or NIE: enter the company tax number (CIF), such as B12345674"
)
MARIA = BillDetailsForm("48213657E", "0001000017", "FA00000000025", "14,69")


@pytest.mark.parametrize("username", ["abc", "maria.garcia", "m_g-1", "x" * 60, "peña", "ANA.DEMO"])
def test_usernames_accepted(username: str) -> None:
    assert username_problem(username) is None


@pytest.mark.parametrize(
    "username", ["ab", "x" * 61, "maria garcia", "maria@garcia", "<b>", "a/b", "maria\tg"]
)
def test_usernames_refused(username: str) -> None:
    assert username_problem(username) == USERNAME_RULE


def test_an_empty_username() -> None:
    assert username_problem("") == "Enter a username"


@pytest.mark.parametrize("email", ["name@example.com", "Maria.Garcia+bills@Example.co.uk", "maría@correo.es"])
def test_emails_accepted(email: str) -> None:
    assert email_problem(email) is None


@pytest.mark.parametrize(
    "email",
    [
        "name",
        "name@example",
        "name@@example.com",
        "na me@example.com",
        "name@example.",
        "@example.com",
        "a" * 243 + "@example.com",
    ],
)
def test_emails_refused(email: str) -> None:
    assert email_problem(email) == EMAIL_FORMAT


def test_an_empty_email() -> None:
    assert email_problem("") == "Enter your email address"


def test_bill_details_as_people_type_them() -> None:
    typed = BillDetailsForm(" 48.213.657-e ", "0001-000 017", "fa 0000-0000-025", "14.69")
    assert check_bill_details(typed, "private") == (
        BillDetails("48213657E", "0001000017", "FA00000000025", 1469),
        {},
    )
    assert check_bill_details(MARIA, "private")[0] == BillDetails(
        "48213657E", "0001000017", "FA00000000025", 1469
    )


@pytest.mark.parametrize(
    "bill_number", ["FA0000000002", "FA000000000250", "F100000000025", "0000000000025", "FAX0000000025"]
)
def test_bill_numbers_refused(bill_number: str) -> None:
    checked, errors = check_bill_details(
        BillDetailsForm(MARIA.identity, MARIA.account_number, bill_number, MARIA.amount), "private"
    )
    assert checked is None
    assert errors == {"bill_number": BILL_NUMBER_FORMAT}


def test_bill_numbers_have_ascii_digits_only() -> None:
    # "٢٥" are Arabic-Indic digits: no bill prints them, like the identity check refuses "１２".
    checked, errors = check_bill_details(
        BillDetailsForm(MARIA.identity, MARIA.account_number, "FA000000000٢٥", MARIA.amount), "private"
    )
    assert checked is None
    assert errors == {"bill_number": BILL_NUMBER_FORMAT}


def test_empty_bill_details_ask_for_each_field() -> None:
    checked, errors = check_bill_details(BillDetailsForm(), "administrator")
    assert checked is None
    assert errors == {
        "identity": "Enter the identity document of the holder",
        "account_number": "Enter the account number",
        "bill_number": "Enter the bill number",
        "amount": "Enter the total amount of the bill",
    }


def test_identity_documents_by_registration_type() -> None:
    horno = BillDetailsForm("B46382917", "0001000033", "FA00000000075", "158,60")
    assert check_bill_details(horno, "company")[1] == {}
    assert check_bill_details(horno, "administrator")[1] == {}
    assert check_bill_details(MARIA, "administrator")[1] == {}
    assert check_bill_details(MARIA, "company")[1] == {"identity": COMPANY_GOT_A_DNI}
    assert check_bill_details(horno, "private")[1] == {
        "identity": "This looks like a CIF: private users enter their DNI or NIE"
    }


def test_account_number_check_digit() -> None:
    wrong = BillDetailsForm(MARIA.identity, "0001000018", MARIA.bill_number, MARIA.amount)
    assert check_bill_details(wrong, "private")[1] == {
        "account_number": "Check the account number: one of its digits is wrong"
    }


def test_field_reads_text_strips_and_keeps_it_whole() -> None:
    assert field({"a": "  x  "}, "a") == "x"
    assert field({"a": ["first", "second"]}, "a") == "first"
    assert field({"a": []}, "a") == ""
    assert field({}, "a") == ""
    assert field({"a": 42}, "a") == "42"
    assert field({"a": "y" * 5000}, "a") == "y" * 5000  # shown back whole: nothing typed is lost


def test_checkbox_is_ticked_only_by_true() -> None:
    assert checkbox({"privacy": "true"}, "privacy") is True
    for value in ("", "on", "false", "TRUE"):
        assert checkbox({"privacy": value}, "privacy") is False
    assert checkbox({}, "privacy") is False


def test_bill_details_reads_the_four_fields() -> None:
    data = {
        "identity": " 48213657E ",
        "account_number": "0001000017",
        "bill_number": "FA00000000025",
        "amount": "14,69",
    }
    assert bill_details(data) == MARIA


def test_bill_details_messages_are_in_the_pages_language() -> None:
    with i18n.speaking("es"):
        _, empty = check_bill_details(BillDetailsForm(), "administrator")
        _, misprinted = check_bill_details(
            BillDetailsForm(MARIA.identity, MARIA.account_number, "FA1", MARIA.amount), "private"
        )
    assert empty == {
        "identity": "Introduzca el documento de identidad del titular",
        "account_number": "Introduzca el número de contrato",
        "bill_number": "Introduzca el número de factura",
        "amount": "Introduzca el importe total de la factura",
    }
    assert misprinted == {
        "bill_number": "Introduzca el número de factura tal como aparece impreso, 2 letras y 11 cifras, "
        "como FA00000000025"
    }
