"""Activation links: single use, expiring, replaced by a newer one, stored only as a hash, and
"send it again" throttled."""

import datetime as dt
from typing import Any

from portal import clock
from portal.db.tables import EmailToken, OutboxEmail, RegistrationDraft, Session, User
from tests.conftest import submit
from tests.integration.accounts.helpers import (
    MARIA,
    SESSION_COOKIE,
    activation_link,
    audit_events,
    complete_registration,
    error_messages,
    heading,
    link_token,
    sha256,
    submit_sign_in,
    user_row,
)
from tests.steps import error_links_nowhere

PASSWORD = "river copper lantern 42"


async def registered(client: Any, mailbox: Any) -> str:
    """María registered; the activation link of her email."""
    await complete_registration(client, "private", MARIA, "maria.garcia", "maria@example.com")
    [message] = await mailbox.wait_for(1)
    return activation_link(message)


async def expire_all_links() -> None:
    past = clock.now() - dt.timedelta(minutes=1)
    await EmailToken.update({EmailToken.expires_at: past}, force=True)


async def test_a_link_works_once(client: Any, demo: None, worker: Any, mailbox: Any) -> None:
    link = await registered(client, mailbox)
    token = link_token(link)
    done = await submit(client, "/activate", {"token": token, "password": PASSWORD})
    assert done.status_code == 303
    first_hash = (await user_row("maria.garcia"))["password_hash"]

    again = await submit(client, "/activate", {"token": token, "password": "another fine passphrase"})
    assert again.status_code == 422
    assert heading(again.text) == "This link has already been used"
    assert "set-cookie" not in again.headers or SESSION_COOKIE not in again.headers["set-cookie"]
    assert (await user_row("maria.garcia"))["password_hash"] == first_hash
    page = await client.get(link)
    assert "This link has already been used" in page.text


async def test_an_expired_link_offers_a_new_one(client: Any, demo: None, worker: Any, mailbox: Any) -> None:
    link = await registered(client, mailbox)
    await expire_all_links()

    page = await client.get(link)
    assert "This link has expired" in page.text
    assert 'action="/activate/resend"' in page.text
    refused = await submit(client, "/activate", {"token": link_token(link), "password": PASSWORD})
    assert refused.status_code == 422
    assert heading(refused.text) == "This link has expired"
    maria = await user_row("maria.garcia")
    assert maria["activated_at"] is None and maria["password_hash"] is None

    resent = await submit(client, "/activate/resend", {"token": link_token(link)})
    assert resent.status_code == 200
    assert "We have sent a new activation link" in resent.text
    messages = await mailbox.wait_for(2)
    assert messages[1]["To"] == "maria@example.com"
    new_link = activation_link(messages[1])
    assert new_link != link

    done = await submit(client, "/activate", {"token": link_token(new_link), "password": PASSWORD})
    assert done.status_code == 303
    assert done.headers["location"] == "/account?done=activation"
    assert (await user_row("maria.garcia"))["activated_at"] is not None


async def test_a_link_that_still_works_cannot_ask_for_another(
    client: Any, demo: None, worker: Any, mailbox: Any
) -> None:
    link = await registered(client, mailbox)
    response = await submit(client, "/activate/resend", {"token": link_token(link)})
    assert response.status_code == 422
    assert error_links_nowhere(response.text) == []  # no field to fix: the message links nowhere
    assert await OutboxEmail.count() == 1


async def test_a_newer_link_replaces_the_older_one(
    client: Any, demo: None, worker: Any, mailbox: Any
) -> None:
    old = await registered(client, mailbox)
    response = await submit(client, "/register/resend")
    assert response.status_code == 303
    assert response.headers["location"] == "/register/email-sent?resent=true"
    messages = await mailbox.wait_for(2)
    new = activation_link(messages[1])

    page = await client.get(old)
    assert "This link has been replaced by a newer one" in page.text
    refused = await submit(client, "/activate", {"token": link_token(old), "password": PASSWORD})
    assert refused.status_code == 422
    assert heading(refused.text) == "This link has been replaced by a newer one"
    assert (await user_row("maria.garcia"))["password_hash"] is None

    assert "Create a login password" in (await client.get(new)).text
    done = await submit(client, "/activate", {"token": link_token(new), "password": PASSWORD})
    assert done.status_code == 303


async def test_only_hashes_of_links_drafts_and_sessions_are_stored(
    client: Any, demo: None, worker: Any, mailbox: Any
) -> None:
    link = await registered(client, mailbox)
    token = link_token(link)
    [stored] = await EmailToken.select(EmailToken.token_hash).where(
        EmailToken.user == (await user_row("maria.garcia"))["id"]
    )
    assert stored["token_hash"] == sha256(token)

    draft_token = client.cookies["registration"]
    drafts = await RegistrationDraft.select(RegistrationDraft.token_hash)
    assert [row["token_hash"] for row in drafts] == [sha256(draft_token)]

    await submit(client, "/activate", {"token": token, "password": PASSWORD})
    session_token = client.cookies[SESSION_COOKIE]
    sessions = await Session.select(Session.token_hash)
    assert [row["token_hash"] for row in sessions] == [sha256(session_token)]

    # No column of these tables holds a secret as it was sent.
    for table in (EmailToken, RegistrationDraft, Session):
        text = str(await table.select())
        for secret in (token, draft_token, session_token):
            assert secret not in text, table


async def test_a_password_cannot_be_set_with_an_unknown_link(client: Any, demo: None) -> None:
    for token in ("", "made-up", "x" * 5000):
        response = await submit(client, "/activate", {"token": token, "password": PASSWORD})
        assert response.status_code == 422
        assert heading(response.text) == "This link is not valid"
        response = await submit(client, "/password/reset", {"token": token, "password": PASSWORD})
        assert response.status_code == 422
        assert heading(response.text) == "This link is not valid"
    assert await Session.count() == 0


async def test_resending_is_throttled_after_three_an_hour(
    client: Any, demo: None, worker: Any, mailbox: Any
) -> None:
    await registered(client, mailbox)
    for _ in range(3):
        response = await submit(client, "/register/resend")
        assert response.status_code == 303
        assert response.headers["location"] == "/register/email-sent?resent=true"

    refused = await submit(client, "/register/resend")
    assert refused.status_code == 422
    assert error_messages(refused.text) == [
        "We have sent several emails already. Wait an hour before asking again"
    ]
    assert await OutboxEmail.count() == 4
    await mailbox.wait_for(4)

    # The expired-link route counts against the same limit.
    await expire_all_links()
    latest = activation_link(mailbox.messages[3])
    refused = await submit(client, "/activate/resend", {"token": link_token(latest)})
    assert refused.status_code == 422
    assert error_links_nowhere(refused.text) == []
    assert await OutboxEmail.count() == 4
    assert len(await audit_events("activation.resend_throttled")) == 2
    assert await audit_events("registration.address_throttled") == []  # each refusal audited once
    assert len(await audit_events("activation.resent")) == 3


async def test_an_activated_user_signs_in_with_the_password_they_created(
    client: Any, demo: None, worker: Any, mailbox: Any
) -> None:
    link = await registered(client, mailbox)
    await submit(client, "/activate", {"token": link_token(link), "password": PASSWORD})
    client.cookies.clear()
    response = await submit_sign_in(client, "maria.garcia", PASSWORD)
    assert response.status_code == 303
    assert await User.count().where(User.last_sign_in_at.is_not_null()) == 1


async def test_asking_a_link_that_still_works_or_was_replaced_for_another_says_why_in_spanish(
    client: Any, demo: None, worker: Any, mailbox: Any
) -> None:
    old = await registered(client, mailbox)
    await submit(client, "/language", {"language": "es", "return_to": "/"})
    still_works = await submit(client, "/activate/resend", {"token": link_token(old)})
    assert error_messages(still_works.text) == ["Este enlace sigue siendo válido"]
    assert (await submit(client, "/register/resend")).status_code == 303
    await mailbox.wait_for(2)
    replaced = await submit(client, "/activate/resend", {"token": link_token(old)})
    assert replaced.status_code == 422
    assert error_messages(replaced.text) == [
        "Le hemos enviado un enlace más reciente: use el del último correo"
    ]
