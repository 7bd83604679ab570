"""Registration refusals that are not about the bill: the holder already has a user, the username is
taken, the privacy policy is not accepted; and every refusal shows back what was typed. An email address
that already has a user is not refused (that would tell anyone which addresses are registered)."""

import asyncio
import re
from typing import Any

from litestar import Litestar

from portal.db.tables import User
from tests.conftest import submit
from tests.integration.accounts.helpers import (
    HORNO,
    MARIA,
    OTHER_IP,
    browser,
    complete_registration,
    error_messages,
    field_value,
    is_checked,
    register_until_check,
    start_registration,
)

HOLDER_REGISTERED = (
    "This account is already registered by its holder. Sign in, or use “Forgotten your password?” if you "
    "cannot remember it"
)


async def verified_draft(client: Any, kind: str = "private", bill: dict[str, str] = MARIA) -> None:
    await start_registration(client, kind)
    response = await submit(client, "/register/bill-details", bill)
    assert response.status_code == 303, error_messages(response.text)


async def test_a_holder_registers_once(client: Any, app: Litestar, demo: None) -> None:
    await complete_registration(client, "private", MARIA, "maria.garcia", "maria@example.com")

    async with browser(app, OTHER_IP) as second:
        await start_registration(second, "private")
        response = await submit(second, "/register/bill-details", MARIA)
        assert response.status_code == 422
        assert error_messages(response.text) == [HOLDER_REGISTERED]
        # Nothing lets the second draft go on.
        step = await second.get("/register/user-details", follow_redirects=False)
        assert step.status_code == 303
        assert step.headers["location"] == "/register/bill-details"
    assert await User.count().where(User.customer.is_not_null() & (User.email == "maria@example.com")) == 1


async def test_a_holder_registering_in_two_browsers_at_once_gets_one_user(
    client: Any, app: Litestar, demo: None
) -> None:
    """Both browsers pass the bill check before either registers; both press "Register and send the
    email" at the same moment: one user is made, the other browser is told the holder is registered."""
    async with browser(app, OTHER_IP) as second:
        await register_until_check(client, "private", MARIA, "maria.one", "maria.one@example.com")
        await register_until_check(second, "private", MARIA, "maria.two", "maria.two@example.com")
        answers = await asyncio.gather(submit(client, "/register/check"), submit(second, "/register/check"))
        assert sorted(answer.status_code for answer in answers) == [303, 422]
        [refused] = [answer for answer in answers if answer.status_code == 422]
        assert error_messages(refused.text) == [HOLDER_REGISTERED]
        assert "maria.two@example.com" in refused.text or "maria.one@example.com" in refused.text
    maria = await User.select(User.username).where(User.username.is_in(["maria.one", "maria.two"]))
    assert len(maria) == 1


async def test_username_taken_whatever_its_case(client: Any, demo: None) -> None:
    await verified_draft(client)
    for username in ("ana.demo", "ANA.Demo"):
        response = await submit(
            client,
            "/register/user-details",
            {"username": username, "email": "new@example.com", "privacy": "true"},
        )
        assert response.status_code == 422
        assert error_messages(response.text) == ["This username is already taken: choose another"]


def _without_addresses(page: str) -> str:
    """The page with the address typed and the CSRF tokens (one per browser) left out."""
    page = re.sub(r'value="[^"]*"|"x-csrftoken": "[^"]*"', "", page)
    return re.sub(r"[\w.+-]+@[\w.-]+", "ADDRESS", page)


async def test_a_taken_email_is_not_revealed_but_its_owner_is_told(
    client: Any, app: Litestar, demo: None, worker: Any, mailbox: Any
) -> None:
    """Registering with an address that already has a user (whatever its case) goes exactly as with a
    new one, up to "Check your email" and "Send it again"; no second user is made, and the address's
    owner gets an email saying so instead of an activation link."""
    pages = {}
    for email, bill, who in (
        ("new.maria@example.com", MARIA, "new"),
        ("ANA.Demo@Example.COM", HORNO, "taken"),
    ):
        async with browser(app, OTHER_IP if who == "new" else "198.51.100.77") as someone:
            await verified_draft(someone, "private" if who == "new" else "company", bill)
            details = {"username": f"{who}.user", "email": email, "privacy": "true"}
            response = await submit(someone, "/register/user-details", details)
            assert (response.status_code, response.headers["location"]) == (303, "/register/check")
            response = await submit(someone, "/register/check")
            assert (response.status_code, response.headers["location"]) == (303, "/register/email-sent")
            sent = await someone.get("/register/email-sent")
            assert email.lower() in sent.text
            response = await submit(someone, "/register/resend")
            assert (response.status_code, response.headers["location"]) == (
                303,
                "/register/email-sent?resent=true",
            )
            pages[who] = _without_addresses((await someone.get(response.headers["location"])).text)
    assert pages["new"] == pages["taken"]

    messages = await mailbox.wait_for(4)
    by_address = {message["To"]: message for message in messages}
    assert len(messages) == 4 and set(by_address) == {"new.maria@example.com", "ana.demo@example.com"}
    notice = by_address["ana.demo@example.com"].get_payload()[0].get_payload(decode=True).decode()
    assert "already belongs to a username, so no new user was created" in notice
    assert "/activate" not in notice and "/password/forgotten" in notice
    assert await User.count().where(User.email == "ana.demo@example.com") == 1
    assert not await User.exists().where(User.username == "taken.user")


async def test_privacy_policy_must_be_accepted(client: Any, demo: None) -> None:
    await verified_draft(client)
    response = await submit(
        client, "/register/user-details", {"username": "maria.garcia", "email": "m@example.com"}
    )
    assert response.status_code == 422
    assert error_messages(response.text) == ["Read and accept the Privacy Policy to register"]
    # The check step stays out of reach.
    check = await client.get("/register/check", follow_redirects=False)
    assert check.status_code == 303
    assert check.headers["location"] == "/register/user-details"


async def test_user_details_are_shown_back_with_the_problems(client: Any, demo: None) -> None:
    await verified_draft(client)
    typed = {"username": "ana.demo", "email": "maría@correo.es", "online_bill": "true"}
    response = await submit(client, "/register/user-details", typed)
    assert response.status_code == 422
    assert field_value(response.text, "username") == "ana.demo"
    assert field_value(response.text, "email") == "maría@correo.es"
    assert is_checked(response.text, "online_bill")
    assert not is_checked(response.text, "privacy")


async def test_bill_details_are_shown_back_including_unicode_and_markup(client: Any, demo: None) -> None:
    await start_registration(client, "private")
    typed = {
        "identity": "Ñúñez-名前",
        "account_number": "<b>0001000017</b>",
        "bill_number": "FAÑ0000000025",
        "amount": "14,69 € «x»",
    }
    response = await submit(client, "/register/bill-details", typed)
    assert response.status_code == 422
    for name, value in typed.items():
        assert field_value(response.text, name) == value, name
    assert "<b>0001000017</b>" not in response.text  # escaped, not markup
    # The page refused each field with its own message.
    assert len(error_messages(response.text)) == 4


async def test_five_thousand_characters_in_every_bill_field(client: Any, demo: None) -> None:
    await start_registration(client, "private")
    long = "9" * 5000
    response = await submit(
        client,
        "/register/bill-details",
        {"identity": long, "account_number": long, "bill_number": long, "amount": long},
    )
    assert response.status_code == 422, response.text[:500]
    assert len(error_messages(response.text)) == 4
    for name in ("identity", "account_number", "bill_number", "amount"):
        assert field_value(response.text, name) == long, name


async def test_five_thousand_characters_in_the_user_details(client: Any, demo: None) -> None:
    await verified_draft(client)
    long_name = "ñ" * 5000
    long_email = "a" * 5000 + "@example.com"
    response = await submit(
        client, "/register/user-details", {"username": long_name, "email": long_email, "privacy": "true"}
    )
    assert response.status_code == 422, response.text[:500]
    assert error_messages(response.text) == [
        "Your username must be 3 to 60 characters long",
        "Enter an email address in the correct format, like name@example.com",
    ]
    assert field_value(response.text, "username") == long_name
    assert field_value(response.text, "email") == long_email


async def test_the_holder_registered_refusal_is_in_spanish_on_the_spanish_pages(
    client: Any, app: Litestar, demo: None
) -> None:
    await complete_registration(client, "private", MARIA, "maria.garcia", "maria@example.com")
    async with browser(app, OTHER_IP) as second:
        await submit(second, "/language", {"language": "es", "return_to": "/"})
        await start_registration(second, "private")
        response = await submit(second, "/register/bill-details", MARIA)
        assert response.status_code == 422
        assert error_messages(response.text) == [
            "Su titular ya ha registrado este contrato. Inicie sesión o, si no recuerda la contraseña, "
            "use «¿Ha olvidado su contraseña?»"
        ]
