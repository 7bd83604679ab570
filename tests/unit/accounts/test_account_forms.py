"""What people type in the accounts forms: usernames and emails (normalised, then checked as they will be
stored), bill details and redirect targets."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from portal import i18n
from portal.accounts.forms import (
    BillDetails,
    BillDetailsForm,
    bill_details,
    check_bill_details,
    checkbox,
    normalise_login,
    username_problem,
)
from portal.accounts.passwords import normalise_password
from portal.demo.generate import DEMO_USERS
from portal.web.forms import email_problem, field

USERNAME_CHARACTERS = (
    "Your username can only have Latin letters (with or without accents, like á, ñ or ç), digits 0 to 9,"
    " dots, hyphens and underscores: no spaces, and no letters of other alphabets, such as Cyrillic or Greek"
)
USERNAME_LENGTH = "Your username must be 3 to 60 characters long"
USERNAME_LETTER = "Your username must have at least one letter or digit"
EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"
BILL_NUMBER_FORMAT = "Enter the bill number as it is printed, 2 letters and 11 digits, like FA00000000025"
COMPANY_GOT_A_DNI = (
    "This looks like a personal DNI or NIE: enter the company tax number (CIF), such as B12345674"
)
MARIA = BillDetailsForm("48213657E", "0001000017", "FA00000000025", "14,69")


def username_checked(typed: str) -> tuple[str, str | None]:
    """A typed username as registration takes it: normalised, then checked."""
    username = normalise_login(typed)
    return username, username_problem(username)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("abc", "abc"),
        ("maria.garcia", "maria.garcia"),
        ("m_g-1", "m_g-1"),
        ("x" * 60, "x" * 60),
        ("peña", "peña"),
        ("ANA.DEMO", "ana.demo"),
        ("José.Núñez", "josé.núñez"),
        ("Jose\u0301.Nu\u0301n\u0303ez", "josé.núñez"),  # typed decomposed (NFD): the same name
        ("ａｎａ.ｄｅｍｏ", "ana.demo"),  # full-width: the same name as ana.demo
        ("ÇAÑÍZARES_2", "çañízares_2"),
        ("Straße", "straße"),  # lower-cased, not case-folded: "ß" stays itself
        ("Ørsted-Łukasz", "ørsted-łukasz"),
        ("ﬁlip", "filip"),  # a ligature is its letters
        ("lucía²", "lucía2"),
        ("ｘ" * 60, "x" * 60),
        ("ﬃ" * 20, "ffi" * 20),
        ("._1", "._1"),
    ],
)
def test_usernames_accepted_as_they_are_stored(typed: str, stored: str) -> None:
    assert username_checked(typed) == (stored, None)


@pytest.mark.parametrize(
    "typed",
    [
        "аna.demo",  # a Cyrillic "а": it looks like ana.demo
        "ana.dеmo",  # a Cyrillic "е"
        "αβγ.demo",
        "demο",  # a Greek omicron
        "İ" * 40,  # lower-cased, a Turkish "İ" is "i" and a combining dot: 80 characters
        "ana\u0338",  # a combining mark that makes no Latin letter stays on its own
        "maria garcia",
        "maria@garcia",
        "<b>",
        "a/b",
        "maria\tg",
        "名前abc",
        "ab٢",  # an Arabic-Indic digit
        "ɑna.demo",  # Latin alpha (IPA), another look-alike of "a"
        "ıvan",  # a dotless "ı"
    ],
)
def test_usernames_with_other_characters_are_refused(typed: str) -> None:
    assert username_checked(typed)[1] == USERNAME_CHARACTERS


@pytest.mark.parametrize("typed", ["...", "-_-", "._.", "．．．"])
def test_a_username_needs_a_letter_or_a_digit(typed: str) -> None:
    assert username_checked(typed)[1] == USERNAME_LETTER


@pytest.mark.parametrize("typed", ["ab", "x" * 61, "ﬃ" * 21, "Ａｂ", "ñ" * 5000])
def test_usernames_of_3_to_60_characters_once_normalised(typed: str) -> None:
    # "ﬃ" is one character as typed and "ffi", three, as stored: 21 of them are 63.
    assert username_checked(typed)[1] == USERNAME_LENGTH


def test_an_empty_username() -> None:
    assert username_problem("") == "Enter a username"


def test_normalising_keeps_accents_and_makes_one_form_of_each_name() -> None:
    assert normalise_login("José") == normalise_login("Jose\u0301") == normalise_login("JOSÉ") == "josé"
    assert len(normalise_login("Jose\u0301")) == 4
    assert normalise_login("ＡＮＡ.Demo@Example.COM") == "ana.demo@example.com"
    assert normalise_login("аna.demo") != "ana.demo"  # Cyrillic is not made Latin: the rule refuses it
    assert normalise_login("İ") == "i\u0307"  # longer than typed


@given(st.text(max_size=80))
@example("İ" * 40)
@example("İ" * 200 + "@example.com")
@example("ﬃ" * 21)
def test_whatever_is_typed_an_accepted_value_fits_its_column_and_stays_as_it_is(typed: str) -> None:
    login = normalise_login(typed)
    assert normalise_login(login) == login
    if username_problem(login) is None:
        assert 3 <= len(login) <= 60
    if email_problem(login) is None:
        assert len(login) <= 254


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("name@example.com", "name@example.com"),
        ("Maria.Garcia+bills@Example.co.uk", "maria.garcia+bills@example.co.uk"),
        ("maría@correo.es", "maría@correo.es"),
        ("mari\u0301a@correo.es", "maría@correo.es"),
        ("ａｎａ＠ｅｘａｍｐｌｅ．ｃｏｍ", "ana@example.com"),  # typed full-width, with an input method
        ("a" * 242 + "@example.com", "a" * 242 + "@example.com"),
    ],
)
def test_emails_accepted_as_they_are_stored(typed: str, stored: str) -> None:
    assert normalise_login(typed) == stored
    assert email_problem(stored) is None


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
        "ñ" * 122 + "@example.com",  # 134 characters, but 256 bytes: too long for SMTP
    ],
)
def test_emails_refused(email: str) -> None:
    assert email_problem(email) == EMAIL_FORMAT


def test_an_email_that_grows_past_254_characters_when_normalised_is_refused() -> None:
    typed = "İ" * 200 + "@example.com"
    assert len(typed) == 212 and len(normalise_login(typed)) == 412
    assert email_problem(normalise_login(typed)) == EMAIL_FORMAT


def test_an_empty_email() -> None:
    assert email_problem("") == "Enter your email address"


def test_the_demo_users_are_stored_as_registration_would_store_them() -> None:
    """The demo inserts its users itself: they must be what the normalisers make of them, or nobody could
    sign in as them."""
    for user in DEMO_USERS:
        assert normalise_login(user.username) == user.username
        assert username_problem(user.username) is None
        assert normalise_login(user.email) == user.email
        assert email_problem(user.email) is None
        assert normalise_password(user.password) == user.password


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
    assert errors == {
        "bill_number": "Enter the bill number with the digits 0 to 9 and the letters A to Z, such as"
        " FA00000000025"
    }


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
