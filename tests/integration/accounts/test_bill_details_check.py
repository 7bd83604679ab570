"""The bill-details check of registration: one message for any mismatch, specific messages for malformed
input, the forms people type accepted, and throttles per account number and per client address."""

from typing import Any

from litestar import Litestar

from portal.accounts.services import NO_MATCH
from portal.accounts.services import TOO_MANY as TOO_MANY_WITHOUT_PHONE
from portal.db.tables import Account, Bill, RegistrationDraft
from tests.conftest import submit
from tests.integration.accounts.helpers import (
    HORNO,
    INMOBILIARIA,
    MARIA,
    OKSANA,
    OTHER_IP,
    audit_events,
    browser,
    error_messages,
    start_registration,
)

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


async def test_five_failures_for_one_account_number_block_it(client: Any, app: Litestar, demo: None) -> None:
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
    # …and the blocked account stays blocked from another address.
    async with browser(app, OTHER_IP) as elsewhere:
        response = await check_bill(elsewhere, MARIA)
        assert response.status_code == 422
        assert error_messages(response.text) == [TOO_MANY]

    failed = await audit_events("bill_check.failed")
    assert len(failed) == 5
    assert {row["detail"]["account_number"] for row in failed} == {"0001000017"}
    assert {row["ip"] for row in failed} == {"203.0.113.10"}
    throttled = await audit_events("bill_check.throttled")
    assert len(throttled) == 2
    assert {row["detail"]["account_number"] for row in throttled} == {"0001000017"}
    assert {row["ip"] for row in throttled} == {"203.0.113.10", OTHER_IP}


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
