"""The bill-details check of registration: one message for any mismatch, specific messages for malformed
input, the forms people type accepted, and throttles per account number and per client address."""

import asyncio
import string
from contextlib import AsyncExitStack
from typing import Any

from litestar import Litestar

from portal.accounts.bill_check import NO_MATCH
from portal.accounts.bill_check import TOO_MANY as TOO_MANY_WITHOUT_PHONE
from portal.accounts.throttle import REGISTRATION_START_PER_IP
from portal.db.tables import Account, Bill, RegistrationDraft
from portal.settings import Settings
from tests.conftest import csrf_token, submit
from tests.integration.accounts.helpers import (
    ADMIN,
    HORNO,
    INMOBILIARIA,
    MARIA,
    OKSANA,
    OTHER_IP,
    audit_events,
    browser,
    error_messages,
    field_value,
    start_registration,
)
from tests.integration.imports.import_steps import run
from tests.steps import field_errors, sign_in
from tests.unit.imports.import_samples import CREDIT_BILL, ZERO_BILL, jsonl, record

TOO_MANY = TOO_MANY_WITHOUT_PHONE % {"phone": "900 000 000"}  # CUSTOMER_SERVICE_PHONE's default


async def check_bill(client: Any, details: dict[str, str], kind: str = "private") -> Any:
    """A new draft of that type, then the bill details."""
    await start_registration(client, kind)
    return await submit(client, "/register/bill-details", details)


async def another_bill_of(account_number: str, not_amount_cents: int) -> str:
    """A bill of the account other than the demo's latest, with a different amount."""
    account = await Account.select(Account.id).where(Account.number == account_number).first()
    assert account is not None
    bill = (
        await Bill.select(Bill.number)
        .where((Bill.account == account["id"]) & (Bill.total_cents != not_amount_cents))
        .first()
    )
    assert bill is not None
    return bill["number"]


async def test_any_single_wrong_field_gets_the_same_message(client: Any, demo: None) -> None:
    maria_other_bill = await another_bill_of(MARIA["account_number"], not_amount_cents=1469)
    wrong_one_field = {
        "another holder's valid DNI": {**MARIA, "identity": "33127845W"},
        "a valid DNI of nobody": {**MARIA, "identity": "12345678Z"},
        "the holder's other account": {**MARIA, "account_number": "0001000025"},
        "an account of another holder": {**MARIA, "account_number": "0001000389"},
        "a bill of another account": {**MARIA, "bill_number": "FA00000000075"},
        "another bill of the same account": {**MARIA, "bill_number": maria_other_bill},
        "one cent less": {**OKSANA, "amount": "21,10"},
        "one cent more": {**OKSANA, "amount": "21.12"},
    }
    for case, details in wrong_one_field.items():
        response = await check_bill(client, details)
        assert response.status_code == 422, case
        assert error_messages(response.text) == [NO_MATCH], case
        assert 'class="error-message"' in response.text, case
    # The right details still pass (at most 4 failures per account number: under the throttle).
    for details in (MARIA, OKSANA):
        response = await check_bill(client, details)
        assert response.status_code == 303
        assert response.headers["location"] == "/register/user-details"


async def test_a_malformed_identity_document_gets_its_own_message(client: Any, demo: None) -> None:
    wrong_letter = await check_bill(client, {**MARIA, "identity": "48213657A"})
    assert wrong_letter.status_code == 422
    assert error_messages(wrong_letter.text) == ["The letter of this DNI does not match its number"]

    too_short = await check_bill(client, {**MARIA, "identity": "4821365E"})
    assert too_short.status_code == 422
    assert error_messages(too_short.text) == ["A DNI has 8 digits and a letter, such as 12345678Z"]

    nie = await check_bill(client, {**OKSANA, "identity": "Y2345678A"})
    assert error_messages(nie.text) == ["The letter of this NIE does not match its number"]

    # Malformed input is not a guess at someone's bill: nothing is counted against the account.
    assert await audit_events("bill_check.failed") == []


async def test_amount_with_a_comma_or_a_dot_and_account_number_with_separators(
    client: Any, demo: None
) -> None:
    for details in (
        {**MARIA, "amount": "14,69"},
        {**MARIA, "amount": "14.69"},
        {**MARIA, "amount": "14,69 €"},
        {**MARIA, "account_number": "0001-000-017"},
        {**MARIA, "account_number": "0001 000 017"},
        {**MARIA, "account_number": " 0001 000-017 "},
        {**MARIA, "identity": "48.213.657-e", "bill_number": "fa 00000000025"},
    ):
        response = await check_bill(client, details)
        assert response.status_code == 303, (details, error_messages(response.text))
        assert response.headers["location"] == "/register/user-details"
    draft = await RegistrationDraft.select().order_by(RegistrationDraft.id, ascending=False).first()
    account = await Account.select(Account.id).where(Account.number == "0001000017").first()
    assert draft["account"] == account["id"]
    assert draft["identity_number"] == "48.213.657-e"  # kept as typed, to show it back


async def test_a_credit_bill_is_proved_by_the_amount_it_prints_in_the_holders_favour(
    client: Any, demo: None, settings: Settings
) -> None:
    """A corrective bill that gives money back (total -15.08) prints "Amount in your favour: 15,08 €" where
    other bills print their "Total to pay": that is the amount its holder types."""
    credit = record(CREDIT_BILL, number="FA00000099991", account=MARIA["account_number"])
    assert (await run(jsonl(credit), settings)).summary.startswith("imported 1 bills")
    details = {**MARIA, "bill_number": "FA00000099991"}
    response = await check_bill(client, {**details, "amount": "15,08"})
    assert response.status_code == 303, error_messages(response.text)
    assert response.headers["location"] == "/register/user-details"
    response = await check_bill(client, {**details, "amount": "15,09"})
    assert field_errors(response.text) == {"identity": NO_MATCH}


async def test_a_bill_of_zero_is_proved_by_the_0_it_prints(
    client: Any, demo: None, settings: Settings
) -> None:
    """A corrective bill that cancels another totals 0 and prints "Nothing to pay: 0,00 €"; its holder may
    have no other bill, so 0 is an amount here (paying by card still asks for more than 0)."""
    zero = record(ZERO_BILL, number="FA00000099992", account=MARIA["account_number"])
    assert (await run(jsonl(zero), settings)).summary.startswith("imported 1 bills")
    details = {**MARIA, "bill_number": "FA00000099992"}
    for typed in ("0", "0,00", "0.00 €"):
        response = await check_bill(client, {**details, "amount": typed})
        assert response.status_code == 303, (typed, error_messages(response.text))
        assert response.headers["location"] == "/register/user-details"
    response = await check_bill(client, {**details, "amount": "14,69"})
    assert field_errors(response.text) == {"identity": NO_MATCH}


FULL_WIDTH = str.maketrans(
    string.digits + string.ascii_letters,
    "".join(chr(ord(char) + 0xFEE0) for char in string.digits + string.ascii_letters),
)
ARABIC_INDIC = str.maketrans(string.digits, "٠١٢٣٤٥٦٧٨٩")
ASKED = {
    "identity": "Enter the DNI or NIE with the digits 0 to 9 and the letters A to Z, such as 12345678Z",
    "account_number": "Enter the account number with the digits 0 to 9, such as 0000000018",
    "bill_number": "Enter the bill number with the digits 0 to 9 and the letters A to Z, such as"
    " FA00000000025",
    "amount": "Enter the amount with the digits 0 to 9, such as 14,69",
}


async def test_letters_and_digits_of_another_script_are_asked_for_as_a_to_z_and_0_to_9(
    client: Any, app: Litestar, demo: None
) -> None:
    """Full-width characters (an East Asian input method) or Arabic-Indic digits are refused, as no bill
    or document prints them; but the holder did type the document and numbers, so each field asks for
    0 to 9 (and A to Z) rather than for another length or another document, next to the field, in the
    page's language, with what was typed shown back."""
    for script in (FULL_WIDTH, ARABIC_INDIC):
        typed = {name: value.translate(script) for name, value in MARIA.items()}
        page = await check_bill(client, typed)
        assert page.status_code == 422
        assert field_errors(page.text) == ASKED
        assert {name: field_value(page.text, name) for name in typed} == typed
    # One such character among ASCII ones is enough to ask, a letter as well as a digit.
    one_each = {
        "identity": "48213657Ｅ",
        "account_number": "000100001٧",
        "bill_number": "ＦA00000000025",
        "amount": "14,6９",
    }
    assert field_errors((await check_bill(client, one_each)).text) == ASKED
    # The document asked for is the registration type's.
    company = await check_bill(client, {**HORNO, "identity": "Ｂ46382917"}, kind="company")
    assert field_errors(company.text) == {
        "identity": "Enter the CIF with the digits 0 to 9 and the letters A to Z, such as B12345674"
    }
    anyone = await check_bill(client, {**HORNO, "identity": "B٤٦٣٨٢٩١٧"}, kind="administrator")
    assert field_errors(anyone.text) == {
        "identity": "Enter the DNI, NIE or CIF with the digits 0 to 9 and the letters A to Z, such as"
        " 12345678Z or B12345674"
    }
    # Malformed input is not a guess at someone's bill: nothing is counted against the account.
    assert await audit_events("bill_check.failed") == []

    # "Add an account" checks the same details.
    async with browser(app, OTHER_IP) as administrator:
        await sign_in(administrator, ADMIN)
        typed = {**INMOBILIARIA, "account_number": INMOBILIARIA["account_number"].translate(FULL_WIDTH)}
        adding = await submit(administrator, "/account/accounts/add", typed)
        assert adding.status_code == 422
        assert field_errors(adding.text) == {"account_number": ASKED["account_number"]}
        assert field_value(adding.text, "account_number") == typed["account_number"]

    await submit(client, "/language", {"language": "es", "return_to": "/"})
    page = await check_bill(client, {name: value.translate(FULL_WIDTH) for name, value in MARIA.items()})
    assert field_errors(page.text) == {
        "identity": "Introduzca el DNI o NIE con las cifras del 0 al 9 y las letras de la A a la Z, por"
        " ejemplo 12345678Z",
        "account_number": "Introduzca el número de contrato con las cifras del 0 al 9, por ejemplo"
        " 0000000018",
        "bill_number": "Introduzca el número de factura con las cifras del 0 al 9 y las letras de la A a la"
        " Z, por ejemplo FA00000000025",
        "amount": "Introduzca el importe con las cifras del 0 al 9, por ejemplo 14,69",
    }


async def test_company_registration_refuses_a_dni(client: Any, demo: None) -> None:
    response = await check_bill(client, MARIA, kind="company")
    assert response.status_code == 422
    assert error_messages(response.text) == [
        "This looks like a personal DNI or NIE: enter the company tax number (CIF), such as B12345674"
    ]
    # …and a private registration refuses a CIF.
    response = await check_bill(client, HORNO, kind="private")
    assert response.status_code == 422
    assert error_messages(response.text) == ["This looks like a CIF: private users enter their DNI or NIE"]
    # The company itself passes with its CIF.
    response = await check_bill(client, HORNO, kind="company")
    assert response.status_code == 303


async def test_five_failures_for_one_account_number_block_it_from_that_address(
    client: Any, app: Litestar, demo: None
) -> None:
    for cents in range(60, 65):
        response = await check_bill(client, {**MARIA, "amount": f"14,{cents}"})
        assert error_messages(response.text) == [NO_MATCH]

    refused = await check_bill(client, MARIA)
    assert refused.status_code == 422
    assert error_messages(refused.text) == [TOO_MANY]
    assert "Too many attempts. Wait an hour and try again, or call us on 900 000 000" in refused.text

    # Per account number: another account still passes from the same address…
    other_account = await check_bill(client, OKSANA)
    assert other_account.status_code == 303
    # …and the account's holder, at another address, is not locked out by this one's guesses.
    async with browser(app, OTHER_IP) as holder:
        response = await check_bill(holder, MARIA)
        assert response.status_code == 303, error_messages(response.text)
        assert response.headers["location"] == "/register/user-details"
    # Nor does the holder's success free this address to guess again.
    assert error_messages((await check_bill(client, MARIA)).text) == [TOO_MANY]

    failed = await audit_events("bill_check.failed")
    assert len(failed) == 5
    assert {row["detail"]["account_number"] for row in failed} == {"0001000017"}
    assert {row["ip"] for row in failed} == {"203.0.113.10"}
    throttled = await audit_events("bill_check.throttled")
    assert len(throttled) == 2
    assert {row["detail"]["account_number"] for row in throttled} == {"0001000017"}
    assert {row["ip"] for row in throttled} == {"203.0.113.10"}


async def test_failures_spread_over_many_addresses_block_the_account_number(
    client: Any, app: Litestar, demo: None
) -> None:
    """Five failures from each of four addresses, each at its own limit: 20, the account number's limit
    across every address. Then it waits, from any address and even with the right details (registration
    and "Add an account" alike)."""
    for n in range(4):
        async with browser(app, f"198.51.100.{100 + n}") as guesser:
            for cents in range(5):
                response = await check_bill(guesser, {**MARIA, "amount": f"14,{10 * n + cents:02d}"})
                assert error_messages(response.text) == [NO_MATCH], (n, cents)
    async with browser(app, OTHER_IP) as holder:
        refused = await check_bill(holder, MARIA)
        assert error_messages(refused.text) == [TOO_MANY]
    await sign_in(client, ADMIN)
    adding = await submit(client, "/account/accounts/add", MARIA)
    assert error_messages(adding.text) == [TOO_MANY]
    # Other account numbers are not affected.
    assert (await submit(client, "/account/accounts/add", INMOBILIARIA)).status_code == 303


async def test_an_address_refused_by_its_own_limits_adds_nothing_to_the_account_numbers_count(
    client: Any, app: Litestar, demo: None
) -> None:
    """However many checks a locked-out address keeps making at once, they never fill the count the
    holder's checks share with every address: the holder registers elsewhere in the middle of them."""
    for cents in range(60, 65):
        assert error_messages((await check_bill(client, {**MARIA, "amount": f"14,{cents}"})).text) == [
            NO_MATCH
        ]

    async with AsyncExitStack() as browsers:
        # Every check on the form's page first, so that all are posted at once.
        guessers = [await browsers.enter_async_context(browser(app)) for _ in range(40)]
        holder = await browsers.enter_async_context(browser(app, OTHER_IP))
        checks = [({**MARIA, "amount": f"14,{10 + n}"}, guesser) for n, guesser in enumerate(guessers)]
        posts = []
        for details, who in [*checks, (MARIA, holder)]:
            await start_registration(who)
            # The address may start only so many drafts an hour (a limit of its own, not this test's).
            await REGISTRATION_START_PER_IP.clear("203.0.113.10")
            form = {"_csrf_token": await csrf_token(who), **details}
            posts.append(who.post("/register/bill-details", data=form, follow_redirects=False))
        *flood, own = await asyncio.gather(*posts)
    assert own.status_code == 303, error_messages(own.text)
    assert {tuple(error_messages(response.text)) for response in flood} == {(TOO_MANY,)}


async def test_a_burst_of_wrong_details_gets_no_more_checks_than_the_limit(
    client: Any, app: Litestar, demo: None
) -> None:
    """Twelve wrong bill checks of one account number from one address at once: each is counted before the
    bills are looked at, so no more than five are checked."""

    async def guess(cents: int) -> Any:
        async with browser(app) as guesser:
            await start_registration(guesser)
            return await submit(guesser, "/register/bill-details", {**MARIA, "amount": f"14,{cents}"})

    responses = await asyncio.gather(*(guess(cents) for cents in range(40, 52)))
    answers = [error_messages(response.text) for response in responses]
    assert set(map(tuple, answers)) <= {(NO_MATCH,), (TOO_MANY,)}, answers
    checked = answers.count([NO_MATCH])
    assert checked <= 5, answers
    assert len(await audit_events("bill_check.failed")) == checked
    # Whatever the burst's answers, the address is now held to the rest of its five.
    for cents in range(5 - checked):
        assert error_messages((await check_bill(client, {**MARIA, "amount": f"14,{cents:02d}"})).text) == [
            NO_MATCH
        ]
    assert error_messages((await check_bill(client, MARIA)).text) == [TOO_MANY]


async def test_twenty_failures_across_accounts_block_the_address(
    client: Any, app: Litestar, demo: None
) -> None:
    # 4 failures on each of 5 accounts: no account reaches its own limit of 5.
    accounts = ["0001000066", "0001000074", "0001000082", "0001000090", "0001000108"]
    for number in accounts:
        for cents in range(1, 5):
            details = {**INMOBILIARIA, "account_number": number, "amount": f"0,0{cents}"}
            response = await check_bill(client, details, kind="administrator")
            assert error_messages(response.text) == [NO_MATCH], number

    refused = await check_bill(client, MARIA)
    assert refused.status_code == 422
    assert error_messages(refused.text) == [TOO_MANY]

    # Another client at another address is not blocked by this address's count.
    async with browser(app, OTHER_IP) as elsewhere:
        response = await check_bill(elsewhere, MARIA)
        assert response.status_code == 303, error_messages(response.text)
        assert response.headers["location"] == "/register/user-details"

    assert len(await audit_events("bill_check.failed")) == 20
    [throttled] = await audit_events("bill_check.throttled")
    assert throttled["ip"] == "203.0.113.10"
    assert throttled["detail"] == {"account_number": "0001000017"}
