"""`portal import` and the text it is given: characters that would hide or reorder what the bill and the
pages show, and files whose bytes are not the lines the contract asks for (CR line ends, a lone
surrogate escape). Each is rejected by its line with a reason that says what is wrong."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from portal.db.tables import Account, Bill, Customer
from portal.imports.reader import CHUNK, MAX_LINE
from portal.settings import Settings
from tests.integration.imports.import_steps import run
from tests.unit.imports.import_samples import ACCOUNT_RECORD, BILL, CUSTOMER, PAYMENT, PERSON, jsonl, record

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
        # Not shown text but a bill's number, echoed in the report ("no bill … in the portal"): it must
        # read as a bill's number does.
        record(PAYMENT, bill="FA-2026/000102\u202e"),
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
            "line 12: bill: has characters that are not allowed",
        ]
    )
    assert result.summary == "imported 1 bills, 1 customers, 1 accounts, 0 payments; skipped 0; rejected 9"
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


async def test_a_file_with_cr_line_ends_is_rejected_for_its_line_ends(db: None, settings: Settings) -> None:
    # Its records run together in one "line": the report said "the file ends in the middle of this
    # line: was it cut short?", and past 1 MiB "longer than 1024 KiB: not read".
    reason = (
        "line 1: line: line ends must be \\n, not CR alone (as old Mac files have): convert the file's"
        " line ends"
    )
    small = jsonl(CUSTOMER, ACCOUNT_RECORD, BILL).replace(b"\n", b"\r")
    bills = [record(BILL, number=f"FA-2026/{n:06d}") for n in range(1, 2001)]
    large = jsonl(CUSTOMER, ACCOUNT_RECORD, *bills).replace(b"\n", b"\r")
    assert len(large) > 1 << 20
    for data in (small, small + b"\n", large, large + b"\n"):
        result = await run(data, settings)
        assert result.rejections == [reason]
        assert (
            result.summary == "imported 0 bills, 0 customers, 0 accounts, 0 payments; skipped 0; rejected 1"
        )
    # CR LF line ends (Windows) are line ends; a line too long is too long, also when its CR is the last
    # byte read as it became too long (the LF in the next chunk).
    too_long = b"x" * ((MAX_LINE // CHUNK + 1) * CHUNK - 1)
    windows = await run(
        (too_long + b"\n" + jsonl(CUSTOMER, ACCOUNT_RECORD, BILL)).replace(b"\n", b"\r\n"), settings
    )
    assert windows.rejections == ["line 1: line: longer than 1024 KiB: not read"]
    assert windows.summary == "imported 1 bills, 1 customers, 1 accounts, 0 payments; skipped 0; rejected 1"


async def test_a_lone_surrogate_escape_is_named_with_its_field(db: None, settings: Settings) -> None:
    # The lines are whole, but msgspec's words sent the operator looking for a cut file or a bad byte:
    # "not valid JSON (Input data was truncated)" (line 1), "(JSON is malformed: unexpected end of escaped
    # utf-16 surrogate pair (byte 106))" (line 3), "(… invalid utf-16 surrogate pair (byte 404))" (line 5).
    def half(text: str) -> str:
        return (
            f"has an invalid character: \\{text} is half of a UTF-16 surrogate pair, without its other half"
        )

    def escaped(data: dict[str, Any]) -> bytes:
        return json.dumps(data, ensure_ascii=True).encode() + b"\n"

    data = (
        escaped(record(CUSTOMER, phone="600 000 000 \ud800"))
        + jsonl(CUSTOMER)
        + escaped(record(ACCOUNT_RECORD, supply_address="Calle Mayor 1 \ud800"))
        + jsonl(ACCOUNT_RECORD)
        + escaped(with_description("Water \udc00 m3"))
        # A whole pair is one character: "\\ud83d\\ude00" is U+1F600.
        + escaped(with_description("Water \U0001f600", number="FA-2026/000102"))
    )
    assert b"\\ud83d\\ude00" in data
    result = await run(data, settings)
    assert result.rejections == [
        f"line 1: phone: {half('ud800')}",
        f"line 3: supply_address: {half('ud800')}",
        f"line 5: lines[1].description: {half('udc00')}",
    ]
    assert result.summary == "imported 1 bills, 1 customers, 1 accounts, 0 payments; skipped 0; rejected 3"
