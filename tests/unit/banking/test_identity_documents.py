"""Spanish identity documents: which one was typed, and a precise message for each mistake."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from portal.banking.identity import IdentityDocument, IdentityError, normalise_identity, validate_identity

DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def test_normalise_identity():
    assert normalise_identity(" 12.345.678-z ") == "12345678Z"
    assert normalise_identity("x\u00a01234567–l") == "X1234567L"


@pytest.mark.parametrize(
    ("typed", "kind", "expected"),
    [
        ("12345678Z", "person", IdentityDocument("DNI", "12345678Z")),
        ("12.345.678-z", "any", IdentityDocument("DNI", "12345678Z")),
        ("00000000T", "person", IdentityDocument("DNI", "00000000T")),
        ("x-1234567-l", "person", IdentityDocument("NIE", "X1234567L")),
        ("Z1234567R", "any", IdentityDocument("NIE", "Z1234567R")),
        ("B12345674", "company", IdentityDocument("CIF", "B12345674")),
        ("b-1234567-4", "any", IdentityDocument("CIF", "B12345674")),
        ("J99216582", "company", IdentityDocument("CIF", "J99216582")),
    ],
)
def test_valid_documents(typed, kind, expected):
    assert validate_identity(typed, kind) == expected


@pytest.mark.parametrize(
    ("typed", "kind", "message"),
    [
        ("", "person", "Enter your DNI or NIE"),
        (" . - ", "company", "Enter your company tax number (CIF)"),
        ("", "any", "Enter a DNI, NIE or CIF"),
        ("12345678A", "person", "The letter of this DNI does not match its number"),
        ("12345678", "person", "A DNI has 8 digits and a letter"),
        ("123456789", "person", "A DNI has 8 digits and a letter"),  # no letter: not a wrong letter
        ("1234567Z", "person", "A DNI has 8 digits and a letter"),
        ("123456789Z", "any", "A DNI has 8 digits and a letter"),
        # Unicode digits: stdnum would quietly read them as ASCII; every banking input is ASCII only. A
        # document was typed, though: the message asks for its characters, not for a document.
        ("1234５678Z", "person", "Enter the DNI or NIE with the digits 0 to 9 and the letters A to Z"),
        ("１２345678Z", "any", "Enter the DNI, NIE or CIF with the digits 0 to 9 and the letters A to Z"),
        ("12345678ｚ", "person", "Enter the DNI or NIE with the digits 0 to 9 and the letters A to Z"),
        ("B1234567٤", "company", "Enter the CIF with the digits 0 to 9 and the letters A to Z"),
        ("X1234567A", "person", "The letter of this NIE does not match its number"),
        ("X123456L", "person", "An NIE has an X, Y or Z, 7 digits and a letter"),
        ("X12345678", "any", "An NIE has an X, Y or Z, 7 digits and a letter"),
        ("B12345675", "company", "The last character of this CIF does not match the rest of it"),
        ("B1234567", "company", "A CIF has a letter, 7 digits and a check digit or letter"),
        ("B1234A674", "any", "A CIF has a letter, 7 digits and a check digit or letter"),
        ("B12345674", "person", "This looks like a CIF: private users enter their DNI or NIE"),
        ("12345678Z", "company", "This looks like a personal DNI or NIE: enter the company tax number (CIF)"),
        ("X1234567L", "company", "This looks like a personal DNI or NIE"),
        ("hello", "company", "A CIF has a letter, 7 digits and a check digit or letter"),
        ("K1234567L", "company", "Enter a company tax number (CIF) such as B12345674"),
        (
            "K1234567L",
            "person",
            "Enter a DNI (8 digits and a letter) or an NIE (X, Y or Z, 7 digits and a letter)",
        ),
        ("ÑAME", "any", "Enter a DNI, NIE or CIF, such as 12345678Z or B12345674"),
    ],
)
def test_invalid_documents_say_what_to_fix(typed, kind, message):
    with pytest.raises(IdentityError) as error:
        validate_identity(typed, kind)
    assert error.value.message.startswith(message)
    assert str(error.value) == error.value.message


@given(st.integers(min_value=0, max_value=99_999_999))
def test_any_dni_with_its_letter_validates(number):
    dni = f"{number:08d}{DNI_LETTERS[number % 23]}"
    assert validate_identity(dni, "person") == IdentityDocument("DNI", dni)


@given(st.integers(min_value=0, max_value=99_999_999), st.integers(min_value=1, max_value=22))
def test_a_dni_with_another_letter_is_a_checksum_error(number, shift):
    dni = f"{number:08d}{DNI_LETTERS[(number + shift) % 23]}"
    with pytest.raises(IdentityError, match="The letter of this DNI does not match its number"):
        validate_identity(dni, "any")


@given(st.sampled_from("XYZ"), st.integers(min_value=0, max_value=9_999_999))
def test_any_nie_with_its_letter_validates(prefix, number):
    as_dni = "XYZ".index(prefix) * 10_000_000 + number  # an NIE's letter is a DNI's, with X, Y, Z as 0, 1, 2
    nie = f"{prefix}{number:07d}{DNI_LETTERS[as_dni % 23]}"
    assert validate_identity(nie, "person") == IdentityDocument("NIE", nie)


@given(st.sampled_from("ABCDEFGHJNPQRSUVW"), st.integers(min_value=0, max_value=9_999_999))
def test_any_cif_with_its_check_digit_validates(letter, number):
    digits = f"{number:07d}"
    cif = letter + digits + luhn.calc_check_digit(digits)
    assert validate_identity(cif, "company") == IdentityDocument("CIF", cif)


@given(st.text(), st.sampled_from(["person", "company", "any"]))
def test_validate_identity_of_any_text_is_a_document_or_an_identity_error(text, kind):
    try:
        document = validate_identity(text, kind)
    except IdentityError:
        return
    assert len(document.number) == 9
    assert document.number.isascii()
