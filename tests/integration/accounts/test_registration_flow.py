"""Registering a private user end to end through the real app, worker and SMTP server."""

import html
import re
from typing import Any

from portal.db.tables import AccountAccess, EmailToken, User
from tests.conftest import submit

MARIA = {
    "identity": "48213657E",
    "account_number": "0001000017",
    "bill_number": "FA00000000025",
    "amount": "14,69",
}


def activation_link(message: Any) -> str:
    text = message.get_payload()[0].get_payload(decode=True).decode()
    match = re.search(r"http://\S+/activate\?token=(\S+)", text)
    assert match is not None, text
    return match.group(0)


async def test_private_user_registers_activates_and_is_signed_in(
    client: Any, demo: None, worker: Any, mailbox: Any
) -> None:
    response = await submit(client, "/register", {"kind": "private"})
    assert response.status_code == 303
    assert response.headers["location"] == "/register/bill-details"

    response = await submit(client, "/register/bill-details", MARIA)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/register/user-details"

    response = await submit(
        client,
        "/register/user-details",
        {"username": "maria.garcia", "email": "Maria@Example.com", "online_bill": "true", "privacy": "true"},
    )
    assert response.headers["location"] == "/register/check"
    check = await client.get("/register/check")
    assert "maria.garcia" in check.text and "48213657E" in check.text

    response = await submit(client, "/register/check")
    assert response.headers["location"] == "/register/email-sent"
    sent = await client.get("/register/email-sent")
    assert "maria@example.com" in sent.text
    assert "check the spam folder" in sent.text

    [message] = await mailbox.wait_for(1)
    assert message["To"] == "maria@example.com"
    link = activation_link(message)
    token = link.split("token=")[1]
    # Only a hash of the token is stored.
    assert not await EmailToken.exists().where(EmailToken.token_hash == token)

    form = await client.get(link)
    assert "Create a login password" in form.text
    too_short = await submit(client, "/activate", {"token": token, "password": "short"})
    assert too_short.status_code == 422
    assert "at least 8 characters" in too_short.text
    common = await submit(client, "/activate", {"token": token, "password": "password123"})
    assert "too common" in common.text

    done = await submit(client, "/activate", {"token": token, "password": "river copper lantern 42"})
    assert done.status_code == 303
    assert done.headers["location"] == "/account?done=activation"
    home = await client.get(done.headers["location"], follow_redirects=False)
    assert home.status_code == 200
    assert "Signed in as maria.garcia" in home.text
    assert "Your account is ready" in home.text and "Your password is set and you are signed in." in home.text
    assert "0001000017" in home.text and "0001000025" in home.text  # both of the holder's accounts

    user = await User.select().where(User.username == "maria.garcia").first()
    assert user["activated_at"] is not None and user["online_bill"] is True
    assert user["privacy_policy_version"] == "2026-11" and user["privacy_accepted_at"] is not None
    assert user["password_hash"].startswith("$argon2id$")
    assert await AccountAccess.count().where(AccountAccess.user == user["id"]) == 2

    again = await client.get(link)
    assert "This link has already been used" in again.text


async def test_the_email_sent_page_names_the_sender_with_one_full_stop_in_both_languages(
    client: Any, demo: None, settings: Any
) -> None:
    """The issuer's name may end in a full stop ("Aguas de Ejemplo, S.A."): the sentence must not add a
    second one after it, whatever the language."""
    # Imported here: the helpers import this module's MARIA.
    from tests.integration.accounts.helpers import complete_registration

    name = settings.issuer.name
    assert name.endswith(".")  # the case that went wrong
    await complete_registration(client, "private", MARIA, "maria.garcia", "maria@example.com")
    for language in ("en", "es"):
        await submit(client, "/language", {"language": language, "return_to": "/register/email-sent"})
        sent = html.unescape((await client.get("/register/email-sent")).text)
        assert name in sent and f"{name}." not in sent, language
