"""Cuaderno 57 payment codes, anchored on the vectors in specs/payment-codes.md."""

from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from portal.banking.cuaderno57 import (
    BARCODE_LENGTH,
    BARCODE_PREFIX,
    CPR_CUADERNO_57,
    MAX_AMOUNT_CENTS,
    IssuerCodes,
    PaymentCode,
    PaymentCodeError,
    check_digits_for_sum,
    deadline_identification,
    full_reference,
    has_other_letters_or_digits,
    normalise_digits,
    parse_deadline_identification,
    parse_issuer_suffix,
    reference_check_digits,
    suffix_has_deadline,
)

# --- the spec's vectors ---
SPEC = {
    "issuer": "22350466",
    "suffix": "501",
    "reference11": "00000000015",
    "identification": "300815",
    "amount_cents": 5398,
}
SPEC_BARCODE = "9050722350466501000000000156830081500000053980"
CHECK_MESSAGE = "Check the reference: its last two digits do not match the rest of the code"


def test_cpr_code_is_the_fixed_cuaderno_57_value():
    assert CPR_CUADERNO_57 == "9050794"


def test_check_digits_of_the_standards_sum():
    assert check_digits_for_sum(12347691268) == "74"


@pytest.mark.parametrize("total", [0, 97, 97 * 123_456_789])
def test_check_digits_are_00_for_multiples_of_97(total):
    assert check_digits_for_sum(total) == "00"


def test_reference_check_digits_of_the_spec_vector():
    assert reference_check_digits(**SPEC) == "68"
    assert full_reference(**SPEC) == "0000000001568"


def test_build_gives_the_spec_barcode():
    code = PaymentCode.build(**SPEC)
    assert code.reference == "0000000001568"
    assert code.barcode_digits == SPEC_BARCODE
    assert code.issuer_suffix == "22350466-501"
    assert code.deadline == date(2015, 8, 30)


def test_parse_barcode_reads_the_spec_vector():
    assert PaymentCode.parse_barcode(SPEC_BARCODE) == PaymentCode.build(**SPEC)


@pytest.mark.parametrize(
    "typed",
    [
        " 90507 22350466-501 0000000001568 300815 0000005398 0 ",
        "90507-22350466-501-0000000001568-300815-0000005398-0",
        "90507\u00a022350466\u2013501\u202f0000000001568\u2014300815\u22120000005398\u200b0",
        "\ufeff9050722350466501000000000156830081500000053980\n",
    ],
)
def test_parse_barcode_accepts_spaces_and_hyphens(typed):
    assert PaymentCode.parse_barcode(typed).barcode_digits == SPEC_BARCODE


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the number under the barcode"),
        (" - ", "Enter the number under the barcode"),
        (SPEC_BARCODE[:-1], "The number under the barcode has 46 digits; you entered 45"),
        (SPEC_BARCODE + "0", "The number under the barcode has 46 digits; you entered 47"),
        ("1" * 100_000, "The number under the barcode has 46 digits; you entered 100000"),
        (SPEC_BARCODE[:20] + "O" + SPEC_BARCODE[21:], "The number under the barcode can only contain digits"),
        # Unicode digits are digits to str.isdigit() and int(), never to a bank: the payer is asked for 0-9.
        (
            SPEC_BARCODE.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
            "Enter the number under the barcode with the digits 0 to 9",
        ),
        (
            SPEC_BARCODE.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")),
            "Enter the number under the barcode with the digits 0 to 9",
        ),
        ("91" + SPEC_BARCODE[2:], "This is not a bill payment barcode: its number starts with 90507"),
        ("90508" + SPEC_BARCODE[5:], "its number starts with 90507"),
        (SPEC_BARCODE[:-1] + "1", "Check the number under the barcode: its last digit is 0"),
    ],
)
def test_parse_barcode_rejects_malformed_numbers(typed, message):
    with pytest.raises(PaymentCodeError, match=message) as error:
        PaymentCode.parse_barcode(typed)
    assert error.value.field == "barcode"
    assert str(error.value) == error.value.message


@pytest.mark.parametrize(
    "typed",
    [
        SPEC_BARCODE.replace("156830", "156930"),  # check digits 69 instead of 68
        SPEC_BARCODE.replace("53980", "53990"),  # the amount, one cent more
        SPEC_BARCODE.replace("300815", "310815"),  # the identification
        SPEC_BARCODE.replace("22350466", "22350467"),  # the issuer
    ],
)
def test_parse_barcode_rejects_codes_whose_check_digits_do_not_match(typed):
    with pytest.raises(PaymentCodeError) as error:
        PaymentCode.parse_barcode(typed)
    assert error.value.field == "reference"
    assert error.value.message == CHECK_MESSAGE


def test_parse_barcode_rejects_a_zero_amount():
    with pytest.raises(PaymentCodeError) as error:
        PaymentCode.parse_barcode(SPEC_BARCODE[:35] + "0000000000" + "0")
    assert error.value.field == "amount"


_FAULTS = pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"issuer": "2235046"}, "issuer"),
        ({"issuer": "223504660"}, "issuer"),
        ({"issuer": "２２３５０４６６"}, "issuer"),
        ({"suffix": "50"}, "suffix"),
        ({"suffix": "5O1"}, "suffix"),
        ({"reference11": "0000000001"}, "reference"),
        ({"reference11": "0000000001568"}, "reference"),
        ({"identification": "30081"}, "identification"),
        ({"identification": "310215"}, "identification"),  # suffix 501: must be a real date, not 31 Feb
        ({"amount_cents": 0}, "amount"),
        ({"amount_cents": -5398}, "amount"),
        ({"amount_cents": MAX_AMOUNT_CENTS + 1}, "amount"),
    ],
)


@_FAULTS
def test_build_names_the_field_at_fault(changes, field):
    with pytest.raises(PaymentCodeError) as error:
        PaymentCode.build(**{**SPEC, **changes})
    assert error.value.field == field


@pytest.mark.parametrize("amount", [53.98, True, "5398"])
def test_amounts_are_integer_cents_only(amount):
    with pytest.raises(TypeError):
        PaymentCode.build(**{**SPEC, "amount_cents": amount})


def test_constructor_checks_the_thirteen_digit_reference():
    with pytest.raises(PaymentCodeError, match="The reference must be 13 digits") as error:
        PaymentCode("22350466", "501", "00000000015", "300815", 5398)
    assert error.value.field == "reference"
    with pytest.raises(PaymentCodeError, match=CHECK_MESSAGE):
        PaymentCode("22350466", "501", "0000000001569", "300815", 5398)


def test_the_largest_amount_fills_the_barcode():
    code = PaymentCode.build(**{**SPEC, "amount_cents": MAX_AMOUNT_CENTS})
    assert code.barcode_digits[35:45] == "9999999999"
    assert PaymentCode.parse_barcode(code.barcode_digits) == code


def test_suffixes_below_500_take_any_identification():
    code = PaymentCode.build(**{**SPEC, "suffix": "001", "identification": "999999"})
    assert code.deadline is None


@pytest.mark.parametrize(
    ("suffix", "expected"), [("000", False), ("499", False), ("500", True), ("999", True)]
)
def test_suffix_has_deadline(suffix, expected):
    assert suffix_has_deadline(suffix) is expected


def test_deadline_identification_is_ddmmyy():
    assert deadline_identification(date(2015, 8, 30)) == "300815"
    assert parse_deadline_identification("300815") == date(2015, 8, 30)
    assert parse_deadline_identification("010100") == date(2000, 1, 1)


@pytest.mark.parametrize("deadline", [date(1999, 12, 31), date(2100, 1, 1)])
def test_deadline_identification_refuses_years_it_cannot_read_back(deadline):
    with pytest.raises(PaymentCodeError):
        deadline_identification(deadline)


@pytest.mark.parametrize("identification", ["000000", "320115", "011315", "290223", "3008１5", "30081"])
def test_parse_deadline_identification_rejects_non_dates(identification):
    with pytest.raises(PaymentCodeError) as error:
        parse_deadline_identification(identification)
    assert error.value.field == "identification"


@pytest.mark.parametrize("typed", ["22350466-501", "22350466 501", " 22350466501 ", "22350466–501"])
def test_parse_issuer_suffix(typed):
    assert parse_issuer_suffix(typed) == ("22350466", "501")


@pytest.mark.parametrize("typed", ["", "2235046-501", "22350466-5011", "22350466/501", "ABCDEFGH-501"])
def test_parse_issuer_suffix_rejects_other_shapes(typed):
    with pytest.raises(PaymentCodeError) as error:
        parse_issuer_suffix(typed)
    assert error.value.field == "issuer_suffix"


@pytest.mark.parametrize("typed", ["２２３５０４６６-５０１", "22350466-50١"])
def test_parse_issuer_suffix_asks_for_the_digits_0_to_9(typed):
    with pytest.raises(PaymentCodeError) as error:
        parse_issuer_suffix(typed)
    assert (error.value.field, error.value.message) == (
        "issuer_suffix",
        "Enter the issuer with the digits 0 to 9, such as 58818501-001",
    )


def test_normalise_digits_removes_separators_only():
    assert normalise_digits(" 12\u00a0345\t678–501 ") == "12345678501"
    assert normalise_digits("12a-3.4") == "12a3.4"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FA00000000025", False),
        ("ＦA00000000025", True),  # a full-width letter
        ("𝐅A00000000025", True),  # a mathematical bold one: NFKC makes it F too
        ("FA0000000002٥", True),  # an Arabic-Indic digit
        ("ÑA", False),  # a letter of its own, refused elsewhere with the usual message
        ("ĳ", False),  # NFKC makes it "ij": two letters, not one of A to Z
    ],
)
def test_has_other_letters_or_digits(text, expected):
    assert has_other_letters_or_digits(text) is expected


# --- properties ---


def _digits(length):
    return st.text(alphabet="0123456789", min_size=length, max_size=length)


_amounts = st.integers(min_value=1, max_value=MAX_AMOUNT_CENTS)
_deadlines = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
_codes = st.one_of(
    st.builds(
        PaymentCode.build,
        issuer=_digits(8),
        suffix=st.integers(0, 499).map("{:03d}".format),
        reference11=_digits(11),
        identification=_digits(6),
        amount_cents=_amounts,
    ),
    st.builds(
        PaymentCode.build,
        issuer=_digits(8),
        suffix=st.integers(500, 999).map("{:03d}".format),
        reference11=_digits(11),
        identification=_deadlines.map(deadline_identification),
        amount_cents=_amounts,
    ),
)


@given(_codes)
def test_barcode_round_trips(code):
    digits = code.barcode_digits
    assert len(digits) == BARCODE_LENGTH
    assert digits.startswith(BARCODE_PREFIX)
    assert digits.endswith("0")
    assert PaymentCode.parse_barcode(digits) == code


@given(_codes, st.data())
def test_barcode_round_trips_with_separators_anywhere(code, data):
    separators = st.sampled_from(["", "", " ", "-", "\u00a0", "\u2013"])
    typed = "".join(digit + data.draw(separators) for digit in code.barcode_digits)
    assert PaymentCode.parse_barcode(typed) == code


@given(st.integers(min_value=0, max_value=10**15))
def test_check_digits_are_always_two_ascii_digits(total):
    check = check_digits_for_sum(total)
    assert len(check) == 2
    assert check.isascii()
    assert check.isdigit()


@given(st.integers(min_value=0, max_value=10**15), st.integers(min_value=1, max_value=96))
def test_check_digits_change_whenever_the_sum_mod_97_does(total, step):
    assert check_digits_for_sum(total) != check_digits_for_sum(total + step)


@given(_codes)
def test_a_one_cent_change_changes_the_check_digits(code):
    amount = code.amount_cents + 1 if code.amount_cents < MAX_AMOUNT_CENTS else code.amount_cents - 1
    other = reference_check_digits(code.reference[:11], code.issuer, code.suffix, code.identification, amount)
    assert other != code.reference[11:]


@given(_codes, st.integers(0, 10), st.integers(1, 9))
def test_any_single_digit_change_in_the_reference_changes_the_check_digits(code, position, shift):
    reference = list(code.reference[:11])
    reference[position] = str((int(reference[position]) + shift) % 10)
    other = reference_check_digits(
        "".join(reference), code.issuer, code.suffix, code.identification, code.amount_cents
    )
    assert other != code.reference[11:]


@given(_codes, st.integers(0, 9))
def test_swapping_two_different_neighbours_in_the_reference_changes_the_check_digits(code, position):
    reference = list(code.reference[:11])
    assume(reference[position] != reference[position + 1])
    reference[position], reference[position + 1] = reference[position + 1], reference[position]
    other = reference_check_digits(
        "".join(reference), code.issuer, code.suffix, code.identification, code.amount_cents
    )
    assert other != code.reference[11:]


@given(_codes, st.integers(0, BARCODE_LENGTH - 1), st.integers(1, 9))
def test_any_single_digit_change_in_the_barcode_is_rejected(code, position, shift):
    digits = list(code.barcode_digits)
    digits[position] = str((int(digits[position]) + shift) % 10)
    with pytest.raises(PaymentCodeError):
        PaymentCode.parse_barcode("".join(digits))


@given(_deadlines)
def test_deadline_identification_round_trips(deadline):
    assert parse_deadline_identification(deadline_identification(deadline)) == deadline


@given(st.one_of(st.text(), st.text(alphabet="0123456789 -–٣")))
def test_parse_barcode_of_any_text_is_a_code_or_a_payment_code_error(text):
    try:
        code = PaymentCode.parse_barcode(text)
    except PaymentCodeError:
        return
    assert code.barcode_digits == normalise_digits(text)


def _built(build):
    try:
        return "built", build()
    except PaymentCodeError as exc:
        return "refused", (exc.field, exc.message)


_faults = {
    "issuer": st.one_of(_digits(7), _digits(9), st.just("2235O466")),
    "suffix": st.one_of(_digits(2), st.just("５01")),
    "reference11": st.one_of(_digits(10), _digits(12), _digits(10).map("x".__add__)),
    # Not a date (a deadline suffix needs one), a digit short, a fullwidth digit.
    "identification": st.one_of(st.just("310215"), _digits(6), _digits(5), st.just("３00815")),
    "amount_cents": st.one_of(st.integers(-5, 0), st.just(MAX_AMOUNT_CENTS + 1)),
}


@settings(max_examples=300)
@given(st.data())
def test_issuer_codes_are_what_build_makes(data):
    """Right fields most of the time, then one or two of them wrong: the same code or the same error."""
    suffix = data.draw(st.one_of(st.integers(0, 499), st.integers(500, 999)).map("{:03d}".format))
    identification = _deadlines.map(deadline_identification) if suffix_has_deadline(suffix) else _digits(6)
    fields = {
        "issuer": data.draw(_digits(8)),
        "suffix": suffix,
        "reference11": data.draw(_digits(11)),
        "identification": data.draw(identification),
        "amount_cents": data.draw(_amounts),
    }
    faults = st.lists(st.sampled_from(sorted(_faults)), min_size=1, max_size=2, unique=True)
    for name in data.draw(st.one_of(st.just([]), faults)):
        fields[name] = data.draw(_faults[name])
    expected = _built(lambda: PaymentCode.build(**fields))
    made = _built(
        lambda: IssuerCodes(fields["issuer"], fields["suffix"]).build(
            fields["reference11"], fields["identification"], fields["amount_cents"]
        )
    )
    assert made == expected
    if made[0] == "built":  # a whole code: its constructor, which checks everything, takes it as it is
        code = made[1]
        assert (
            PaymentCode(code.issuer, code.suffix, code.reference, code.identification, code.amount_cents)
            == code
        )


@_FAULTS
def test_issuer_codes_name_the_field_at_fault_as_build_does(changes, field):
    fields = {**SPEC, **changes}
    with pytest.raises(PaymentCodeError) as error:
        IssuerCodes(fields["issuer"], fields["suffix"]).build(
            fields["reference11"], fields["identification"], fields["amount_cents"]
        )
    assert error.value.field == field
