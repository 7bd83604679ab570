"""`portal import` and the text it is given: characters that would hide or reorder what the bill and the
pages show are rejected by their line, with a reason that names them; the text of the portal's languages
is stored as given."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from portal.db.tables import Account, Bill, Customer
from portal.settings import Settings
from tests.integration.imports.import_steps import run
from tests.unit.imports.import_samples import ACCOUNT_RECORD, BILL, CUSTOMER, PERSON, jsonl, record

CONTROL = "has a control character (such as NUL, a tab or a line break): not allowed"


def invisible(code: int, position: int) -> str:
    return (
        f"has an invisible formatting character (U+{code:04X} {unicodedata.name(chr(code))},"
        f" character {position}), which can show text reversed or hidden: not allowed"
    )


def with_description(description: str, **changes: Any) -> dict[str, Any]:
    lines = [dict(line) for line in BILL["lines"]]
    lines[1]["description"] = description
    return record(BILL, lines=lines, **changes)


async def test_bidirectional_and_invisible_characters_in_free_text_reject_their_line(
    db: None, settings: Settings
) -> None:
    # "Lucía " + RIGHT-TO-LEFT OVERRIDE + "zednánreF" shows as "Lucía Fernández": a name, an address or a
    # bill line can be made to read as another one on the bill, the pages and the emails.
    data = jsonl(
        record(CUSTOMER, name="Lucía \u202ezednánreF"),
        record(CUSTOMER, email="lucia\u200e@example.com"),
        record(CUSTOMER, phone="\ufeff600 000 000"),
        CUSTOMER,
        record(ACCOUNT_RECORD, supply_address="Calle Mayor 1 \u2066\u2067B\u2069"),
        record(ACCOUNT_RECORD, tariff="Domestic\u200f"),
        record(ACCOUNT_RECORD, service="wa\u200bter"),
        record(ACCOUNT_RECORD, supply_address="Calle de Játiva 4\u061c"),
        ACCOUNT_RECORD,
        with_description("Water\u202a (m³)"),
        record(BILL, number="FA-2026/000102"),
    )
    dry = await run(data, settings, dry_run=True)
    result = await run(data, settings)
    assert (
        result.rejections
        == dry.rejections
        == [
            f"line 1: name: {invisible(0x202E, 7)}",
            f"line 2: email: {invisible(0x200E, 6)}",
            f"line 3: phone: {invisible(0xFEFF, 1)}",
            f"line 5: supply_address: {invisible(0x2066, 15)}",
            f"line 6: tariff: {invisible(0x200F, 9)}",
            f"line 7: service: {invisible(0x200B, 3)}",
            f"line 8: supply_address: {invisible(0x061C, 18)}",
            f"line 10: lines[1].description: {invisible(0x202A, 6)}",
        ]
    )
    assert result.summary == "imported 1 bills, 1 customers, 1 accounts, 0 payments; skipped 0; rejected 8"
    assert await Customer.select(Customer.name, Customer.email).first() == {
        "name": CUSTOMER["name"],
        "email": "",
    }
    assert [row["number"] for row in await Bill.select(Bill.number)] == ["FA-2026/000102"]


async def test_every_format_and_control_character_is_refused_and_its_reason_names_it(
    db: None, settings: Settings
) -> None:
    # Unicode's own categories, from the Python that runs the portal: every format character (Cf), and
    # every control (Cc) or line or paragraph separator (Zl, Zp), whichever Unicode version it has.
    formats, breaks = [], []
    for code in range(0x110000):
        category = unicodedata.category(chr(code))
        if category == "Cf":
            formats.append(code)
        elif category in ("Cc", "Zl", "Zp"):
            breaks.append(code)
    result = await run(
        jsonl(*(record(CUSTOMER, name=f"Ana{chr(code)}") for code in formats + breaks)), settings
    )
    assert len(formats) >= 160 and len(breaks) == 67  # C0, DEL and C1; U+2028 and U+2029
    assert result.rejections == [
        f"line {number}: name: {invisible(code, 4)}" for number, code in enumerate(formats, 1)
    ] + [f"line {number}: name: {CONTROL}" for number, _ in enumerate(breaks, len(formats) + 1)]


async def test_the_text_of_spanish_catalan_basque_and_galician_customers_is_stored_as_given(
    db: None, settings: Settings
) -> None:
    # Accents, ñ, ç, the punt volat (U+00B7), both apostrophes, the ordinal indicators, a no-break space
    # (U+00A0, not printable for Python: the check looks further at such text), a narrow one (U+202F)
    # and an accent written as a combining mark (U+0301, as macOS stores file names): all text.
    name = "Núria Cañellas d’Ors i Col·legi O'Donnell, Iñaki Goikoetxea, Xosé Ramo\u0301n Castiñeiras, Çà"
    address = "Carrer de l’Hospital,\u00a012, 2.º 1.ª, 08001\u202fBarcelona"
    description = "Aigua 0–10 m³ (€/m³), cànon de l’aigua · IVA 10\u00a0%"
    data = jsonl(
        record(CUSTOMER, name=name, email="núria@exemple.cat", phone="+34\u00a0600\u00a0000\u00a0000"),
        record(ACCOUNT_RECORD, supply_address=address, tariff="Domèstica", service="aigua"),
        with_description(description),
    )
    result = await run(data, settings)
    assert result.rejections == []
    assert await Customer.select(Customer.identity_number, Customer.name).first() == {
        "identity_number": PERSON,
        "name": name,
    }
    assert await Account.select(Account.supply_address, Account.tariff).first() == {
        "supply_address": address,
        "tariff": "Domèstica",
    }
    bill = await Bill.select(Bill.lines).first()
    assert bill is not None
    lines = bill["lines"] if isinstance(bill["lines"], list) else json.loads(bill["lines"])
    assert lines[1]["description"] == description
