"""The holder is told when someone can see their accounts: at a registration's activation (every type of
user) and at an administrator's "Add an account"; once per address, at the holder's contact address and
at their own user's, in the holder's language, never to the new user's own address (security finding
F10)."""

import dataclasses
import datetime as dt
from email.header import decode_header, make_header
from email.message import Message
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from portal import i18n
from portal.db import fetch_one
from portal.db.tables import Customer, OutboxEmail
from portal.templating import format_day
from tests.conftest import all_mail_sent, running, submit
from tests.integration.accounts.helpers import (
    ADMIN,
    ANA,
    HORNO,
    INMOBILIARIA,
    MARIA,
    activation_link,
    add_account_at_once,
    audit_events,
    complete_registration,
    link_token,
    submit_sign_in,
    user_row,
)
from tests.integration.web.test_language import switch

PASSWORD = "river copper lantern 42"

# Each registration type, the demo bill it registers with, and what its holder is told of.
REGISTRATIONS = {
    "private": (MARIA, "maria.garcia@example.com", ["0001000017", "0001000025"], "Private user"),
    "company": (
        HORNO,
        "horno.sanroque@example.com",
        ["0001000033", "0001000041", "0001000058"],
        "Company user",
    ),
    "administrator": (
        INMOBILIARIA,
        "inmobiliaria.mediterranea@example.com",
        ["0001000074"],
        "Administrator user",
    ),
}
ANA_HOLDER = "ana.martinez@example.com"  # the contact address of ana.demo's holder (not ana.demo's own)
ANA_USER = "ana.demo@example.com"  # the address of the holder's own user, ana.demo
ANA_IDENTITY = "33127845W"  # the holder Ana Martínez Ruiz
CONTACT_REASON = "You get this email because this is the account holder’s contact address in our records."
USER_REASON = (
    "You get this email because this is the email address of the account holder’s username in the"
    " Aguas de Ejemplo, S.A. Customer Service Area."
)


def subject(message: Message) -> str:
    return " ".join(str(make_header(decode_header(message["Subject"]))).split())


def part(message: Message, index: int) -> str:
    """The text (0) or HTML (1) part, with the line ends it was written with (SMTP sends CRLF)."""
    payload = message.get_payload()[index].get_payload(decode=True)  # type: ignore[index,union-attr]
    return str(payload.decode()).replace("\r\n", "\n")


def text(message: Message) -> str:
    return part(message, 0)


def html(message: Message) -> str:
    return part(message, 1)


def when(moment: dt.datetime, settings: Any, language: str = "en") -> str:
    """A moment as the notice writes it: its day and time in the portal's time zone (TIMEZONE)."""
    local = moment.astimezone(ZoneInfo(settings.locale.timezone))
    with i18n.speaking(language):
        return f"{format_day(local)}, {local:%H:%M}"


async def activate(client: Any, mailbox: Any, address: str) -> None:
    [message] = await mailbox.wait_for(1, to=address)
    done = await submit(
        client, "/activate", {"token": link_token(activation_link(message)), "password": PASSWORD}
    )
    assert done.status_code == 303, done.text


async def holder_notices() -> int:
    return await OutboxEmail.count().where(OutboxEmail.template == "holder_notice")


def last_line(message: Message) -> str:
    """Why its reader gets the notice: the text part's last line."""
    return text(message).strip().splitlines()[-1]


async def ana_account() -> dict[str, str]:
    """The "Add an account" details of Ana's account 0001000413 (its first bill): a holder with a user of
    their own, ana.demo."""
    bill = await fetch_one(
        "SELECT c.identity_number, a.number AS account, b.number AS bill, b.total_cents FROM bill b"
        " JOIN account a ON a.id = b.account JOIN customer c ON c.id = a.customer"
        " WHERE a.number = '0001000413' ORDER BY b.id LIMIT 1"
    )
    assert bill is not None
    return {
        "identity": bill["identity_number"],
        "account_number": bill["account"],
        "bill_number": bill["bill"],
        "amount": f"{bill['total_cents'] // 100},{bill['total_cents'] % 100:02d}",
    }


async def set_contact_address(identity: str, address: str) -> None:
    await Customer.update({Customer.email: address}).where(Customer.identity_number == identity)


@pytest.mark.parametrize("kind", ["private", "company", "administrator"])
async def test_the_holder_is_told_once_when_a_registration_is_activated(
    client: Any, demo: None, worker: Any, mailbox: Any, settings: Any, frozen_clock: dt.datetime, kind: str
) -> None:
    bill, holder, accounts, kind_name = REGISTRATIONS[kind]
    username = f"new.{kind}"
    await complete_registration(client, kind, bill, username, f"{username}@example.com")
    await mailbox.wait_for(1)
    await all_mail_sent()
    # Registered, not activated: nobody can see anything yet, so the holder is not told yet.
    assert mailbox.received(holder) == [] and await holder_notices() == 0

    await activate(client, mailbox, f"{username}@example.com")
    await all_mail_sent()
    [notice] = mailbox.received(holder)
    accounts_named = "Accounts" if len(accounts) > 1 else "Account"
    assert subject(notice) == (
        f"Someone can now see your account{'s' if len(accounts) > 1 else ''} in the Aguas de Ejemplo, S.A."
        " Customer Service Area"
    )
    body = text(notice)
    assert f"{accounts_named}: {', '.join(accounts)}\n" in body
    assert f"Type of user: {kind_name}\n" in body
    assert f"Username: {username}\n" in body
    assert f"Since: {when(frozen_clock, settings)}\n" in body
    assert (
        "If you did not expect this, call customer service at 900 000 000: we will remove their access."
        in body
    )
    assert "http" not in body  # no link to follow: nothing a phisher could copy
    assert '<a href="tel:900000000">900 000 000</a>: we will remove their access.' in html(notice)
    assert "http" not in html(notice)
    assert len(mailbox.messages) == 2  # the activation email and the notice, nothing else
    assert last_line(notice) == CONTACT_REASON and f"<p>{CONTACT_REASON}</p>" in html(notice)
    user = (await user_row(username))["id"]
    [event] = await audit_events("holder_notice.sent")
    assert event["user"] == user and event["detail"]["accounts"] == len(accounts)
    assert event["detail"]["to"] == "contact"


async def test_no_notice_to_the_new_users_own_address_written_in_another_case(
    client: Any, demo: None, worker: Any, mailbox: Any
) -> None:
    """The holder registering themselves with their contact address: the billing system may have it with
    capitals that registration lower-cases."""
    await Customer.update({Customer.email: "Maria.Garcia@EXAMPLE.com"}).where(
        Customer.identity_number == MARIA["identity"]
    )
    await complete_registration(client, "private", MARIA, "maria.garcia", "maria.garcia@example.com")
    await activate(client, mailbox, "maria.garcia@example.com")
    assert await all_mail_sent() == 1  # the activation email alone
    assert await holder_notices() == 0
    [event] = await audit_events("holder_notice.skipped")
    assert event["detail"]["reason"] == "own_address"


async def test_no_notice_to_a_holder_without_an_address(
    client: Any, demo: None, worker: Any, mailbox: Any
) -> None:
    await Customer.update({Customer.email: ""}).where(Customer.identity_number == HORNO["identity"])
    await complete_registration(client, "company", HORNO, "horno.user", "horno.user@example.com")
    await activate(client, mailbox, "horno.user@example.com")
    assert await all_mail_sent() == 1
    assert await holder_notices() == 0
    [event] = await audit_events("holder_notice.skipped")
    assert event["detail"]["reason"] == "no_address"


async def test_an_administrator_adding_an_account_tells_its_holder_once(
    client: Any, demo: None, worker: Any, mailbox: Any, settings: Any, frozen_clock: dt.datetime
) -> None:
    await submit_sign_in(client, *ADMIN)
    assert (await submit(client, "/account/accounts/add", INMOBILIARIA)).status_code == 303
    # The same form again (the back button, a second click after the first answer): nothing new.
    assert (await submit(client, "/account/accounts/add", INMOBILIARIA)).status_code == 422
    assert await all_mail_sent() == 1
    [notice] = mailbox.received("inmobiliaria.mediterranea@example.com")
    body = text(notice)
    assert "Account: 0001000074\n" in body and "Type of user: Administrator user\n" in body
    assert "Username: admin.demo\n" in body and f"Since: {when(frozen_clock, settings)}\n" in body
    assert len(mailbox.messages) == 1


async def test_the_same_form_sent_at_once_tells_the_holder_once(
    client: Any, demo: None, worker: Any, mailbox: Any
) -> None:
    """A double click or two tabs: the submits wait at the access's insert, one adds it and tells the
    holder, the others find it added (as in test_administrator_accounts)."""
    await submit_sign_in(client, *ADMIN)
    answers = await add_account_at_once(client, INMOBILIARIA, 2)
    assert [answer.status_code for answer in answers] == [303, 303]
    assert await all_mail_sent() == 1
    assert len(mailbox.received("inmobiliaria.mediterranea@example.com")) == 1


async def test_the_notice_is_in_the_default_language_not_the_new_users(
    demo: None, worker: Any, mailbox: Any, settings: Any, frozen_clock: dt.datetime
) -> None:
    """The holder has no user of their own: DEFAULT_LANGUAGE, whatever language the stranger registered
    in."""
    from portal.app import create_app

    spanish_default = dataclasses.replace(
        settings, locale=dataclasses.replace(settings.locale, language="es")
    )
    try:
        async with running(create_app(spanish_default)) as client:
            client.headers["accept-language"] = "en"  # the new user's pages, and so their user, in English
            await complete_registration(client, "private", MARIA, "maria.garcia", "maria@example.com")
            assert (await user_row("maria.garcia"))["language"] == "en"
            await activate(client, mailbox, "maria@example.com")
            await all_mail_sent()
    finally:
        i18n.configure(settings.locale.language)
    [notice] = mailbox.received("maria.garcia@example.com")
    assert (
        subject(notice)
        == "Alguien puede ver ahora sus contratos en la Oficina Virtual de Aguas de Ejemplo, S.A."
    )
    body = text(notice)
    assert "Contratos: 0001000017, 0001000025\n" in body
    assert "Tipo de usuario: Usuario particular\n" in body
    assert f"Desde: {when(frozen_clock, settings, 'es')}\n" in body
    assert (
        "Si no lo esperaba, llame a atención al cliente al 900 000 000: quitaremos el acceso a ese usuario."
        in body
    )


async def test_a_stranger_registering_in_spanish_does_not_make_the_notice_spanish(
    client: Any, demo: None, worker: Any, mailbox: Any
) -> None:
    client.headers["accept-language"] = "es"
    await complete_registration(client, "private", MARIA, "maria.garcia", "maria@example.com")
    await activate(client, mailbox, "maria@example.com")
    await all_mail_sent()
    [notice] = mailbox.received("maria.garcia@example.com")
    assert subject(notice).startswith("Someone can now see your accounts")


async def test_the_notice_is_in_the_language_the_holders_own_user_chose(
    app: Any, client: Any, demo: None, worker: Any, mailbox: Any
) -> None:
    """ana.demo (registered as the holder Ana Martínez) chose Spanish; the administrator browses in
    English and adds one of Ana's accounts."""
    await submit_sign_in(client, *ANA)
    await switch(client, "es", "/account")
    assert (await user_row(ANA[0]))["language"] == "es"
    client.cookies.clear()
    client.headers["accept-language"] = "en"
    await submit_sign_in(client, *ADMIN)
    assert (await submit(client, "/account/accounts/add", await ana_account())).status_code == 303
    await all_mail_sent()
    [notice] = mailbox.received(ANA_HOLDER)
    [copy] = mailbox.received(ANA_USER)
    for message in notice, copy:
        assert (
            subject(message)
            == "Alguien puede ver ahora su contrato en la Oficina Virtual de Aguas de Ejemplo, S.A."
        )
        assert "Contrato: 0001000413\n" in text(message)
        assert "Tipo de usuario: Usuario administrador\n" in text(message)
    contact_reason = (
        "Recibe este correo porque es la dirección de contacto del titular del contrato que consta en"
        " nuestros registros."
    )
    user_reason = (
        "Recibe este correo porque, en la Oficina Virtual de Aguas de Ejemplo, S.A., es el correo"
        " electrónico del usuario del titular del contrato."
    )
    assert last_line(notice) == contact_reason and f"<p>{contact_reason}</p>" in html(notice)
    assert last_line(copy) == user_reason and f"<p>{user_reason}</p>" in html(copy)


async def test_the_holders_own_user_is_told_too_at_its_own_address(
    client: Any, demo: None, worker: Any, mailbox: Any, settings: Any, frozen_clock: dt.datetime
) -> None:
    """The billing system's contact address may be stale: the address the holder uses with the portal, that
    of their own user (ana.demo), gets the same notice, saying why it does."""
    await submit_sign_in(client, *ADMIN)
    assert (await submit(client, "/account/accounts/add", await ana_account())).status_code == 303
    assert await all_mail_sent() == 2
    [notice] = mailbox.received(ANA_HOLDER)
    [copy] = mailbox.received(ANA_USER)
    assert len(mailbox.messages) == 2
    assert (
        subject(copy)
        == subject(notice)
        == ("Someone can now see your account in the Aguas de Ejemplo, S.A. Customer Service Area")
    )
    body = text(copy)
    assert "Account: 0001000413\n" in body and "Type of user: Administrator user\n" in body
    assert "Username: admin.demo\n" in body and f"Since: {when(frozen_clock, settings)}\n" in body
    assert "http" not in body and "http" not in html(copy)
    # The same notice, but for why its reader gets it.
    assert last_line(notice) == CONTACT_REASON and last_line(copy) == USER_REASON
    assert text(copy) == text(notice).replace(CONTACT_REASON, USER_REASON)
    assert f"<p>{USER_REASON}</p>" in html(copy) and CONTACT_REASON not in html(copy)
    assert html(copy) == html(notice).replace(CONTACT_REASON, USER_REASON)
    admin = (await user_row(ADMIN[0]))["id"]
    events = await audit_events("holder_notice.sent")
    assert [(event["user"], event["detail"]["to"]) for event in events] == [
        (admin, "contact"),
        (admin, "user"),
    ]
    assert await audit_events("holder_notice.skipped") == []


@pytest.mark.parametrize(
    ("contact", "to_address", "to", "reason"),
    [
        # The contact address is the user's own, in other capitals: one email, the contact copy.
        ("Ana.Demo@EXAMPLE.com", "Ana.Demo@EXAMPLE.com", "contact", CONTACT_REASON),
        # No contact address: the user's own address alone.
        ("", ANA_USER, "user", USER_REASON),
    ],
)
async def test_one_notice_when_the_holder_has_one_address(
    client: Any, demo: None, worker: Any, mailbox: Any, contact: str, to_address: str, to: str, reason: str
) -> None:
    await set_contact_address(ANA_IDENTITY, contact)
    await submit_sign_in(client, *ADMIN)
    assert (await submit(client, "/account/accounts/add", await ana_account())).status_code == 303
    assert await all_mail_sent() == 1
    [notice] = mailbox.messages
    assert notice["To"] == to_address and last_line(notice) == reason
    assert "Account: 0001000413\n" in text(notice)
    [event] = await audit_events("holder_notice.sent")
    assert event["detail"]["to"] == to
    assert await audit_events("holder_notice.skipped") == []


async def test_the_new_users_own_address_never_gets_the_notice(
    client: Any, demo: None, worker: Any, mailbox: Any
) -> None:
    """Neither as the holder's own user (the holder registering themselves is that user once activated)
    nor as the contact address (an administrator's own, here, whatever its capitals)."""
    await complete_registration(client, "private", MARIA, "maria.garcia", "maria@example.com")
    await activate(client, mailbox, "maria@example.com")
    assert await all_mail_sent() == 2
    assert len(mailbox.received("maria@example.com")) == 1  # the activation email alone
    [notice] = mailbox.received("maria.garcia@example.com")
    assert last_line(notice) == CONTACT_REASON

    # The holder's contact address is now the administrator's own: only the holder's user is told.
    await set_contact_address(MARIA["identity"], "Admin.Demo@example.com")
    client.cookies.clear()
    await submit_sign_in(client, *ADMIN)
    assert (await submit(client, "/account/accounts/add", MARIA)).status_code == 303
    assert await all_mail_sent() == 3
    [_, copy] = mailbox.received("maria@example.com")
    assert last_line(copy) == USER_REASON and "Username: admin.demo\n" in text(copy)
    assert [message["To"].lower() for message in mailbox.messages].count("admin.demo@example.com") == 0
    assert len(mailbox.messages) == 3
    admin = (await user_row(ADMIN[0]))["id"]
    events = await audit_events("holder_notice.sent")
    assert [event["detail"]["to"] for event in events if event["user"] == admin] == ["user"]


async def test_a_double_submit_tells_each_address_once(
    client: Any, demo: None, worker: Any, mailbox: Any
) -> None:
    await submit_sign_in(client, *ADMIN)
    answers = await add_account_at_once(client, await ana_account(), 2)
    assert [answer.status_code for answer in answers] == [303, 303]
    assert await all_mail_sent() == 2
    assert len(mailbox.received(ANA_HOLDER)) == 1 and len(mailbox.received(ANA_USER)) == 1
