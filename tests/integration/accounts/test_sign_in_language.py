"""Signing in stores the language the user sees, so that what jobs write for them later (a massive
download's email, PDFs and index; new-bill emails) is in it too: the switcher's choice made before signing
in, else the language already stored, else the language of the page they signed in on (README, Languages).
Before, most users had none stored and browsed in Spanish but got English emails and files."""

from __future__ import annotations

import io
import zipfile
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

from pypdf import PdfReader

from portal.db.tables import User
from portal.settings import Settings
from tests.conftest import submit
from tests.integration.accounts.helpers import ADMIN, link_token, reset_link
from tests.integration.downloads.download_steps import (
    ANA_ACCOUNTS,
    confirmed_request,
    plain_body,
    wait_until_finished,
)
from tests.integration.imports.import_steps import run
from tests.steps import page_language, sign_in
from tests.unit.imports.import_samples import BILL, jsonl, record

SPANISH_BROWSER = "es-ES,es;q=0.9,en;q=0.5"
ENGLISH_BROWSER = "en-GB,en;q=0.9"


async def stored_language(username: str) -> str | None:
    row = await User.select(User.language).where(User.username == username).first()
    assert row is not None
    return row["language"]


def subject(message: Message) -> str:
    return " ".join(str(make_header(decode_header(message["Subject"]))).split())


async def switch(client: Any, language: str) -> None:
    response = await submit(client, "/language", {"language": language, "return_to": "/sign-in"})
    assert response.status_code == 303


async def test_signing_in_from_a_spanish_browser_makes_the_download_spanish(
    client: Any, demo: None, worker: Any, mailbox: Any
) -> None:
    client.headers["accept-language"] = SPANISH_BROWSER
    assert await stored_language("ana.demo") is None  # as the demo makes her
    await sign_in(client)
    assert await stored_language("ana.demo") == "es"
    assert client.cookies.get("language") == "es"

    # A few bills (one account, 3 months): the job renders their PDFs in her language.
    request_id = await confirmed_request(
        client, name="Facturas", period="last_3", select_by="account", selector=ANA_ACCOUNTS[0]
    )
    await wait_until_finished(client)
    [message] = await mailbox.wait_for(1)
    assert subject(message) == (
        "Sus facturas están listas para descargar en la Oficina Virtual de Aguas de Ejemplo, S.A."
    )
    assert plain_body(message).startswith("Hola, ana.demo")

    archive = zipfile.ZipFile(io.BytesIO((await client.get(f"/downloads/{request_id}/file")).content))
    heading, *rows = archive.read("index.csv").decode().splitlines()
    assert heading.startswith("numero_factura,contrato,")
    assert rows and all(row.rsplit(",", 1)[1] in {"Pagada", "Pendiente", "Vencida"} for row in rows)
    pdf = next(name for name in archive.namelist() if name.endswith(".pdf"))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(archive.read(pdf))).pages)
    assert "FACTURA DE AGUA" in text and "WATER BILL" not in text


async def test_a_choice_made_before_signing_in_replaces_the_stored_language(client: Any, demo: None) -> None:
    await User.update({User.language: "en"}).where(User.username == "ana.demo")
    client.headers["accept-language"] = ENGLISH_BROWSER
    await switch(client, "es")  # signed out: remembered as a choice
    assert client.cookies.get("language_chosen") == "es"
    await sign_in(client)
    assert await stored_language("ana.demo") == "es"
    assert "language_chosen" not in client.cookies  # stored: forgotten, it is no choice any more
    assert page_language((await client.get("/account")).text) == "es"


async def test_a_language_cookie_left_by_an_earlier_sign_in_is_no_choice(client: Any, demo: None) -> None:
    """Signing in and out sets the `language` cookie too (here the administrator's, on a shared computer):
    it does not replace the language stored; signing in sets it to the user's."""
    await User.update({User.language: "es"}).where(User.username == "ana.demo")
    client.headers["accept-language"] = ENGLISH_BROWSER
    await sign_in(client, ADMIN)
    signed_out = await submit(client, "/sign-out")
    await client.get(signed_out.headers["location"])
    assert client.cookies.get("language") == "en"
    await sign_in(client)
    assert await stored_language("ana.demo") == "es"
    assert client.cookies.get("language") == "es"
    assert page_language((await client.get("/account")).text) == "es"


async def test_a_password_reset_link_signs_in_and_settles_the_language_too(
    client: Any, demo: None, worker: Any, mailbox: Any
) -> None:
    client.headers["accept-language"] = SPANISH_BROWSER
    assert await stored_language(ADMIN[0]) is None
    assert (await submit(client, "/password/forgotten", {"login": ADMIN[0]})).status_code == 303
    [message] = await mailbox.wait_for(1)
    done = await submit(
        client,
        "/password/reset",
        {"token": link_token(reset_link(message)), "password": "harbour violet spindle 7"},
    )
    assert done.status_code == 303
    assert await stored_language(ADMIN[0]) == "es"
    assert client.cookies.get("language") == "es"


async def test_new_bill_emails_follow_the_language_seen_when_signing_in(
    client: Any, demo: None, worker: Any, mailbox: Any, settings: Settings
) -> None:
    client.headers["accept-language"] = SPANISH_BROWSER
    await sign_in(client)
    bill = record(
        BILL, number="FT-2030/1", account=ANA_ACCOUNTS[0], payment_reference="90000000001",
        issue_date="2030-01-03", due_date="2030-01-23", period_start="2029-12-01", period_end="2029-12-31",
    )  # fmt: skip
    result = await run(jsonl(bill), settings, render=False)
    assert result.rejections == []
    [message] = await mailbox.wait_for(1)
    assert message["To"] == "ana.demo@example.com"
    assert subject(message).startswith("Su nueva factura FT-2030/1")
