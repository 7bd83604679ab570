"""My bills' "Download this list in Excel": the bills of the CSV (same filters, the viewer's accounts only)
as a workbook for people, in the page's language: translated titles and statuses, real dates shown as the
language writes them, amounts as numbers. The CSV stays as it is, for programs."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from portal.bills import exports
from portal.db import fetch
from tests.integration.downloads.download_steps import ANA_ACCOUNTS
from tests.steps import ADMIN, sign_in

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_rows(response: Any) -> tuple[Any, list[tuple[Any, ...]]]:
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(response.content)).active
    return sheet, list(sheet.iter_rows(values_only=True))


async def bill_numbers(username: str) -> set[str]:
    rows = await fetch(
        "SELECT b.number FROM bill b JOIN account_access x ON x.account = b.account"
        ' JOIN portal_user u ON u.id = x."user" WHERE u.username = {}',
        username,
    )
    return {row["number"] for row in rows}


async def test_the_list_in_excel_in_spanish(client: Any, demo: None) -> None:
    client.headers["accept-language"] = "es-ES,es;q=0.9"
    await sign_in(client)
    response = await client.get("/bills/bills.xlsx")
    assert response.headers["content-disposition"] == 'attachment; filename="bills.xlsx"'
    assert response.headers["cache-control"] == "no-store"
    sheet, rows = workbook_rows(response)
    assert sheet.title == "Facturas"
    assert rows[0] == (
        "Número de factura", "Contrato", "Titular", "Inicio del periodo", "Fin del periodo",
        "Fecha de emisión", "Fecha de vencimiento", "Importe (EUR)", "Estado",
    )  # fmt: skip
    bills = rows[1:]
    # Ana's bills, every one and no one else's: the accounts she may see.
    assert {row[0] for row in bills} == await bill_numbers("ana.demo") and len(bills) == len(set(bills))
    assert {row[1] for row in bills} == set(ANA_ACCOUNTS)
    assert all(isinstance(cell, dt.datetime) for row in bills for cell in row[3:7])  # real dates
    assert all(isinstance(row[7], float | int) and row[7] > 0 for row in bills)  # amounts, not text
    assert {row[8] for row in bills} <= {"Pagada", "Pendiente", "Vencida", "Domiciliada"}
    assert sheet.cell(row=2, column=4).number_format == "dd/mm/yyyy"  # as Spain writes dates
    assert sheet.cell(row=2, column=8).number_format == '#,##0.00 "€"'

    # The same filters as the page and the CSV.
    _, overdue = workbook_rows(await client.get("/bills/bills.xlsx?status=overdue"))
    assert len(overdue) == 2 and overdue[1][8] == "Vencida"
    _, one_account = workbook_rows(await client.get(f"/bills/bills.xlsx?account={ANA_ACCOUNTS[1]}"))
    assert {row[1] for row in one_account[1:]} == {ANA_ACCOUNTS[1]}
    # Another holder's account matches nothing (every query is scoped to the viewer).
    _, others = workbook_rows(await client.get("/bills/bills.xlsx?account=0001000017"))
    assert others == [rows[0]]
    wrong = await client.get("/bills/bills.xlsx?period_from_month=1&period_from_year=nope")
    assert wrong.status_code == 422


async def test_the_list_in_excel_has_the_bills_of_the_csv_page_after_page(
    client: Any, demo: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Written a page of bills at a time (here 50): every row once, in the CSV's order, nothing
    overwritten. English dates can be read only one way: "5 Dec 2026"."""
    monkeypatch.setattr(exports, "EXPORT_PAGE", 50)
    await sign_in(client, ADMIN)  # 125 bills: three pages
    sheet, rows = workbook_rows(await client.get("/bills/bills.xlsx"))
    assert rows[0][:3] == ("Bill number", "Account", "Holder")
    listed = list(csv.reader(io.StringIO((await client.get("/bills/bills.csv")).text)))
    assert len(rows) == len(listed) == 126
    assert [row[0] for row in rows[1:]] == [line[0] for line in listed[1:]]
    assert [f"{row[7]:.2f}" for row in rows[1:]] == [line[7] for line in listed[1:]]
    assert [row[3].date().isoformat() for row in rows[1:]] == [line[3] for line in listed[1:]]
    assert sheet.cell(row=2, column=4).number_format == "d mmm yyyy"


async def test_my_bills_links_to_both_lists_with_its_filters(client: Any, demo: None) -> None:
    """Plain links (with JavaScript too: not boosted), so the page is the same with it on or off."""
    await sign_in(client)
    page = html.unescape((await client.get("/bills?status=overdue")).text)
    for path, words in (("/bills/bills.xlsx", "Download this list in Excel"), ("/bills/bills.csv", "CSV")):
        assert f'<a href="{path}?account=&status=overdue&' in page
        link = page.split(f'<a href="{path}?')[1].split("</a>")[0]
        assert 'data-hx-boost="false" download>' in link and words in link
