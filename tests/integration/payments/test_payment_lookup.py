"""Pay now with CPR code / with barcode: every field error, said next to the field, revealing nothing
about the holder; direct debits and expired documents explained; the look-up rate-limited by address."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import re
import secrets
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from portal import clock
from portal.banking.cuaderno57 import PaymentCode
from portal.db import execute
from portal.db.tables import Account, Bill, Payment, PaymentDocument, PaymentDocumentBill
from tests.conftest import browser, submit
from tests.integration.payments.helpers import (
    ANA_BARCODE,
    MARIA_CODE,
    bill_status,
    check_page,
    make_document,
    notification,
    notify,
    payment_row,
    start_payment,
)
from tests.steps import ADMIN, ANA, error_messages, field_errors, sign_in

DETAILS_DISAGREE = (
    "The reference, identification and amount do not match each other: check all three as they are "
    "printed on your bill"
)


def _errors(page: httpx.Response) -> dict[str, str]:
    """Inline messages by field id."""
    return field_errors(page.text)


async def _pay_code(client: Any, **changes: str) -> httpx.Response:
    return await submit(client, "/pay/code", {**MARIA_CODE, **changes})


async def test_hyphens_spaces_and_either_decimal_separator_are_accepted(client: Any, demo: None) -> None:
    check = await check_page(
        client,
        {
            "cpr": " 905 0794 ",
            "issuer": "58818501 - 001",
            "reference": "00000-00002-512",
            "identification": "000 017",
            "amount": "14.69",
        },
    )
    page = await client.get(check)
    assert page.status_code == 200
    assert "Bill FA00000000025" in page.text and "14,69" in page.text
    assert "María" not in page.text and "48213657E" not in page.text  # nothing about the holder
    assert "Start payment" in page.text


async def test_each_wrong_field_is_named(client: Any, demo: None) -> None:
    cases: list[tuple[dict[str, str], str, str]] = [
        ({"cpr": ""}, "cpr", "Enter the CPR code"),
        ({"cpr": "9050795"}, "cpr", "We do not collect bills with this CPR code"),
        ({"cpr": "12345"}, "cpr", "The CPR code is 7 digits"),
        ({"issuer": "12345678-001"}, "issuer", "This issuer is not"),
        ({"issuer": "58818501-002"}, "issuer", "We do not issue bills with the suffix 002"),
        ({"issuer": "5881850"}, "issuer", "The issuer and suffix are 11 digits"),
        ({"reference": "0000000002513"}, "reference", DETAILS_DISAGREE),
        ({"reference": "12"}, "reference", "The reference is 13 digits"),
        # Typos the check digits catch, from the typed text alone: they cover the reference, identification
        # and amount together, so the message blames none of them alone (said at the first of them).
        ({"identification": "000018"}, "reference", DETAILS_DISAGREE),
        ({"amount": "14,70"}, "reference", DETAILS_DISAGREE),
        ({"amount": "catorce"}, "amount", "Enter the amount in euros"),
        ({"amount": ""}, "amount", "Enter the amount"),
    ]
    for changes, field, message in cases:
        page = await _pay_code(client, **changes)
        assert page.status_code == 422, changes
        assert page.text.count("<title>Error: ") == 1
        errors = _errors(page)
        assert list(errors) == [field], (changes, errors)
        assert errors[field].startswith(message), (changes, errors)
        assert f'href="#{field}"' in page.text  # the error summary links to it
        # An example in the message is the one the field's hint gives, so the two never disagree.
        example = re.search(r"such as (\S+)$", errors[field])
        if example:
            hint = re.search(rf'id="{field}-hint" class="hint">([^<]*)<', page.text)
            assert hint and example.group(1) in html.unescape(hint.group(1)), (errors[field], hint)
        # What was typed is shown back.
        for value in {**MARIA_CODE, **changes}.values():
            if value:
                assert f'value="{html.escape(value)}"' in page.text


def _consistent(reference11: str = "00000000025", identification: str = "000017", cents: int = 1469) -> dict:
    """A code whose check digits are right (so only a look-up can tell it is wrong): Maria's by default."""
    code = PaymentCode.build("58818501", "001", reference11, identification, cents)
    amount = f"{cents // 100},{cents % 100:02d}"
    return {"reference": code.reference, "identification": identification, "amount": amount}


async def test_once_looked_up_any_mismatch_gets_the_same_answer(client: Any, demo: None) -> None:
    """No bill with this reference, or one with another identification or amount: nobody can tell which,
    so nobody learns that a reference exists."""
    assert _consistent()["reference"] == MARIA_CODE["reference"]
    for changes in (
        _consistent(reference11="00000099999"),
        _consistent(identification="000018"),
        _consistent(cents=1470),
    ):
        page = await _pay_code(client, **changes)
        assert page.status_code == 422
        assert _errors(page) == {"reference": "We could not find a pending bill with these details"}


async def test_already_paid_and_direct_debit_bills_are_explained(client: Any, demo: None) -> None:
    order = await start_payment(client, await check_page(client))
    await notify(client, notification(order, 1469))
    page = await _pay_code(client)
    assert _errors(page)["reference"].startswith("This bill is already paid")

    account = await Account.select(Account.id).where(Account.number == "0001000405").first()
    debit = (
        await Bill.select().where(Bill.account == account["id"]).order_by(Bill.id, ascending=False).first()
    )
    assert debit["status"] == "direct_debit"
    code = PaymentCode(
        "58818501", "001", debit["payment_reference"], debit["payment_identification"], debit["total_cents"]
    )
    page = await submit(client, "/pay/barcode", {"barcode": code.barcode_digits})
    assert _errors(page)["barcode"].startswith("This bill is paid by direct debit")


async def test_a_document_pays_all_its_bills_in_one_go(client: Any, demo: None) -> None:
    code = await make_document("0001000413", clock.today() + dt.timedelta(days=10))
    check = await check_page(
        client,
        {
            "cpr": "9050794",
            "issuer": code.issuer_suffix,
            "reference": code.reference,
            "identification": code.identification,
            "amount": f"{code.amount_cents // 100},{code.amount_cents % 100:02d}",
        },
    )
    page = await client.get(check)
    assert f"Bills due document {code.reference} (2 bills)" in page.text
    order = await start_payment(client, check)
    await notify(client, notification(order, code.amount_cents))
    document = (
        await PaymentDocument.select().where(PaymentDocument.payment_reference == code.reference).first()
    )
    assert document["status"] == "paid"
    links = await PaymentDocumentBill.select(PaymentDocumentBill.bill).where(
        PaymentDocumentBill.document == document["id"]
    )
    statuses = await Bill.select(Bill.status).where(Bill.id.is_in([link["bill"] for link in links]))
    assert [row["status"] for row in statuses] == ["paid", "paid"]


async def test_an_expired_document_is_explained(client: Any, demo: None) -> None:
    code = await make_document("0001000413", clock.today() - dt.timedelta(days=1))
    page = await submit(client, "/pay/barcode", {"barcode": code.barcode_digits})
    message = _errors(page)["barcode"]
    assert message.startswith("This bills due document could be paid until")
    assert "banks no longer accept it" in message


async def test_a_document_found_before_midnight_cannot_be_started_after_it(client: Any, demo: None) -> None:
    """Its deadline ends at midnight in Madrid, when UTC still has an hour or two of that day left: "Start
    payment" says so on the check page, and opens no order the bank would refuse."""
    deadline = clock.today()
    madrid = ZoneInfo("Europe/Madrid")
    code = await make_document("0001000413", deadline)
    with clock.frozen_at(dt.datetime.combine(deadline, dt.time(23, 50), madrid)):
        check = await check_page(client, {"barcode": code.barcode_digits}, form="/pay/barcode")
    with clock.frozen_at(dt.datetime.combine(deadline + dt.timedelta(days=1), dt.time(0, 30), madrid)):
        response = await submit(client, check, {"email": "payer@example.com"})
    assert response.status_code == 422
    assert "This bills due document could be paid until" in html.unescape(response.text)
    assert await Payment.count() == 0


async def test_barcode_errors(client: Any, demo: None) -> None:
    cases = [
        ("", "Enter the number under the barcode"),
        ("9050758818501", "The number under the barcode has 46 digits; you entered 13"),
        (ANA_BARCODE[:-2] + "90", "Check the number under the barcode"),
        ("90507" + "12345678" + ANA_BARCODE[13:], "Check the number under the barcode"),
    ]
    for barcode, message in cases:
        page = await submit(client, "/pay/barcode", {"barcode": barcode})
        assert page.status_code == 422
        assert _errors(page)["barcode"].startswith(message), (barcode, _errors(page))
    spaced = " ".join(ANA_BARCODE[i : i + 4] for i in range(0, 46, 4))
    response = await submit(client, "/pay/barcode", {"barcode": spaced})
    assert response.status_code == 303


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


async def test_digits_of_another_script_are_asked_for_as_0_to_9(client: Any, demo: None) -> None:
    """Full-width digits (an East Asian input method) or Arabic-Indic ones are refused, as no bank takes
    them; but the payer did type the right number of digits, so each field asks for 0 to 9 rather than
    for a length, in the page's language, with what was typed shown back."""
    asked = {
        "cpr": "Enter the CPR code with the digits 0 to 9, such as 9050794",
        "issuer": "Enter the issuer with the digits 0 to 9, such as 58818501-001",
        "reference": "Enter the reference with the digits 0 to 9, such as 0000000002512",
        "identification": "Enter the identification with the digits 0 to 9, such as 000017",
        "amount": "Enter the amount with the digits 0 to 9, such as 14,69",
    }
    for script in (FULL_WIDTH, ARABIC_INDIC):
        typed = {name: value.translate(script) for name, value in MARIA_CODE.items()}
        page = await _pay_code(client, **typed)
        assert page.status_code == 422
        assert _errors(page) == asked
        assert all(f'value="{value}"' in page.text for value in typed.values())
        barcode = ANA_BARCODE.translate(script)
        page = await submit(client, "/pay/barcode", {"barcode": barcode})
        assert page.status_code == 422
        assert _errors(page) == {"barcode": "Enter the number under the barcode with the digits 0 to 9"}
        assert f'value="{barcode}"' in page.text
    # One such digit among ASCII ones is enough to ask.
    page = await _pay_code(client, cpr="905０794")
    assert _errors(page) == {"cpr": asked["cpr"]}

    await submit(client, "/language", {"language": "es", "return_to": "/"})
    page = await _pay_code(
        client, **{name: value.translate(FULL_WIDTH) for name, value in MARIA_CODE.items()}
    )
    assert _errors(page) == {
        "cpr": "Introduzca el código CPR con las cifras del 0 al 9, por ejemplo 9050794",
        "issuer": "Introduzca la emisora con las cifras del 0 al 9, por ejemplo 58818501-001",
        "reference": "Introduzca la referencia con las cifras del 0 al 9, por ejemplo 0000000002512",
        "identification": "Introduzca la identificación con las cifras del 0 al 9, por ejemplo 000017",
        "amount": "Introduzca el importe con las cifras del 0 al 9, por ejemplo 14,69",
    }
    page = await submit(client, "/pay/barcode", {"barcode": ANA_BARCODE.translate(FULL_WIDTH)})
    assert _errors(page) == {
        "barcode": "Introduzca el número bajo el código de barras con las cifras del 0 al 9"
    }


TOO_MANY = "Too many attempts. Try again later, or call us on 900 000 000"


async def test_a_mistyping_address_is_told_to_wait_but_right_codes_still_go_through(
    client: Any, demo: None, app: Any
) -> None:
    for n in range(20):
        page = await _pay_code(client, **_consistent(reference11=f"{90000000 + n:011d}"))
        assert _errors(page) == {"reference": "We could not find a pending bill with these details"}
    blocked = await _pay_code(client, **_consistent(reference11="00000099999"))
    assert blocked.status_code == 422
    assert _errors(blocked) == {"cpr": TOO_MANY}
    # The address is only mildly throttled: right details go through, by code and by barcode.
    assert (await _pay_code(client)).status_code == 303
    assert (await submit(client, "/pay/barcode", {"barcode": ANA_BARCODE})).status_code == 303
    # The phone number is a setting, shown in every page's footer too.
    assert "900 000 000" in (await client.get("/")).text


async def test_an_ipv6_subscriber_counts_as_one_address_whichever_it_takes_from_its_block(
    demo: None, app: Any
) -> None:
    """An IPv6 subscriber holds a whole /64 and may use any address in it: moving to another address of its
    block after each failure does not escape the look-up's throttle; another block is another address."""

    async def pay_from(address: str, code: dict[str, str]) -> httpx.Response:
        async with browser(app, address) as payer:
            return await submit(payer, "/pay/code", code)

    for n in range(20):
        await pay_from(
            f"2001:db8:1:2::{n + 1:x}", {**MARIA_CODE, **_consistent(reference11=f"{90000000 + n:011d}")}
        )
    guess = {**MARIA_CODE, **_consistent(reference11="00000099999")}
    assert _errors(await pay_from("2001:db8:1:2:a:b:c:d", guess)) == {"cpr": TOO_MANY}
    assert _errors(await pay_from("2001:db8:1:3::1", guess)) == {
        "reference": "We could not find a pending bill with these details"
    }


async def test_an_address_that_keeps_failing_is_stopped(client: Any, demo: None, app: Any) -> None:
    for n in range(100):
        await _pay_code(client, **_consistent(reference11=f"{90000000 + n:011d}"))
    assert _errors(await _pay_code(client)) == {"cpr": TOO_MANY}  # even the right details now wait
    blocked = await submit(client, "/pay/barcode", {"barcode": ANA_BARCODE})
    assert _errors(blocked) == {"barcode": TOO_MANY}
    # Another address is not affected.
    async with browser(app, "198.51.100.9") as other:
        assert (await submit(other, "/pay/code", MARIA_CODE)).status_code == 303


async def test_a_reference_guessed_from_many_addresses_is_stopped(client: Any, demo: None, app: Any) -> None:
    for n in range(10):
        async with browser(app, f"198.51.100.{n + 1}") as guesser:
            await _pay_code(guesser, **_consistent(cents=1000 + n))
    assert _errors(await _pay_code(client)) == {"cpr": TOO_MANY}  # Maria's reference waits
    assert (await submit(client, "/pay/barcode", {"barcode": ANA_BARCODE})).status_code == 303


async def test_a_burst_of_guesses_at_a_reference_gets_no_more_look_ups_than_the_limit(
    client: Any, demo: None, app: Any
) -> None:
    """Fifteen guesses at Maria's reference at once, from fifteen addresses: each is counted before the
    look-up, so no more than ten are looked up."""

    async def guess(n: int) -> httpx.Response:
        async with browser(app, f"198.51.100.{n + 1}") as guesser:
            return await _pay_code(guesser, **_consistent(cents=1000 + n))

    answers = [_errors(page) for page in await asyncio.gather(*(guess(n) for n in range(15)))]
    not_found = {"reference": "We could not find a pending bill with these details"}
    assert all(answer in (not_found, {"cpr": TOO_MANY}) for answer in answers), answers
    looked_up = answers.count(not_found)
    assert looked_up <= 10, answers
    # Whatever the burst's answers, the reference is now held to the rest of its ten.
    for n in range(15, 25 - looked_up):
        assert _errors(await guess(n)) == not_found, n
    assert _errors(await _pay_code(client)) == {"cpr": TOO_MANY}


async def test_a_reference_stopped_by_guesses_stays_open_to_its_own_holder(
    client: Any, demo: None, app: Any
) -> None:
    """Guesses at Ana's bill from many addresses stop its look-ups (anyone could cause that), but not for
    Ana signed in: she is not guessing, her bill is in her account ("Online payment" from her bill)."""
    for n in range(10):
        async with browser(app, f"198.51.100.{n + 1}") as guesser:
            await _pay_code(guesser, **_consistent("00000001025", "000413", cents=1000 + n))
    assert _errors(await submit(client, "/pay/barcode", {"barcode": ANA_BARCODE})) == {"barcode": TOO_MANY}
    await sign_in(client, ADMIN)  # signed in, but not Ana's account: still stopped
    assert _errors(await submit(client, "/pay/barcode", {"barcode": ANA_BARCODE})) == {"barcode": TOO_MANY}
    await submit(client, "/sign-out")
    await sign_in(client, ANA)
    assert (await submit(client, "/pay/barcode", {"barcode": ANA_BARCODE})).status_code == 303
    # A wrong amount for her own bill is still a failed look-up, answered as to anyone.
    wrong = await submit(client, "/pay/code", {**MARIA_CODE, **_consistent("00000001025", "000413", 1349)})
    assert _errors(wrong) == {"cpr": TOO_MANY}


async def test_double_submit_and_two_tabs_reuse_one_open_payment(client: Any, demo: None) -> None:
    first_tab = await check_page(client)
    second_tab = await check_page(client)
    assert first_tab != second_tab
    orders = {await start_payment(client, first_tab) for _ in range(3)}
    orders.add(await start_payment(client, second_tab))
    assert len(orders) == 1
    assert await bill_status("FA00000000025") == "pending"


async def test_a_database_counting_again_still_gives_the_bank_new_order_ids(client: Any, demo: None) -> None:
    """As after a restore from a backup: the payments made since are gone and their count goes back, but
    the bank has seen their orders, and refuses an order id twice (or would send a late answer about one
    to the wrong payment)."""
    order = await start_payment(client, await check_page(client))
    await execute("TRUNCATE payment CASCADE")
    await execute("SELECT setval(pg_get_serial_sequence('payment', 'id'), 1, false)")
    assert await start_payment(client, await check_page(client)) != order


async def test_a_random_order_id_the_database_holds_is_drawn_again(
    client: Any, demo: None, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = await start_payment(client, await check_page(client))
    async with browser(app, "198.51.100.40") as other:  # another browser: a new order for the same bill
        check = await check_page(other)
        # The random source draws the held order id's characters first, then its own.
        drawn, real_choice = iter(held), secrets.choice
        monkeypatch.setattr(secrets, "choice", lambda options: next(drawn, None) or real_choice(options))
        order = await start_payment(other, check)
    assert next(drawn, None) is None  # the held id was drawn whole
    assert order != held and len(order) == 12
    assert (await payment_row(order))["state"] == "open"
    assert (await payment_row(held))["state"] == "abandoned"


async def test_signed_in_barcode_payment_prefills_the_email(client: Any, demo: None) -> None:
    await sign_in(client, ANA)
    response = await submit(client, "/pay/barcode", {"barcode": ANA_BARCODE})
    assert response.status_code == 303
    check = await client.get(response.headers["location"])
    email = re.search(r'id="email" name="email" type="email" value="([^"]*)"', check.text)
    assert email is not None and email.group(1) == "ana.demo@example.com"  # the signed-in user's address
    empty = await submit(client, response.headers["location"], {"email": ""})
    assert empty.status_code == 422
    assert "Enter the email address for your receipt" in empty.text
    order = await start_payment(client, response.headers["location"], email=email.group(1))
    assert len(order) == 12


async def test_a_wrong_amount_with_a_right_reference_is_not_blamed_on_the_reference_in_spanish_either(
    client: Any, demo: None
) -> None:
    await submit(client, "/language", {"language": "es", "return_to": "/"})
    page = await _pay_code(client, amount="14,70")
    assert page.status_code == 422
    assert error_messages(page.text) == [
        "La referencia, la identificación y el importe no concuerdan entre sí: compruebe los tres tal como "
        "aparecen en su factura"
    ]
