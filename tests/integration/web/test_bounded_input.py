"""The hostile inputs of issue 14, one by one: ids past PostgreSQL's integer, control characters, huge or
non-ASCII numbers and the static files' NUL each get a 4xx with a page, never a 500. (The property test
in test_hostile_input.py looks for new ones.)"""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.middleware._utils import build_exclude_path_pattern

from tests.conftest import submit
from tests.integration.downloads.download_steps import start
from tests.steps import ANA, error_messages, sign_in

TOO_LARGE = "2147483648"  # PostgreSQL's integer ends at 2147483647

ID_PATHS = [
    "/bills/{}",
    "/bills/{}/pdf",
    "/bills/{}/pdf/status",
    "/bills/{}/factur-x.xml",
    "/bills/{}/bill.json",
    "/downloads/{}/details",
    "/downloads/{}/bills",
    "/downloads/{}/check",
    "/downloads/{}/list.xlsx",
    "/downloads/{}/requested",
    "/downloads/{}/file",
    "/payment-documents/{}",
    "/payment-documents/{}/pdf",
    "/payment-documents/{}/pdf/status",
    "/payment-documents/drafts/{}",
]


@pytest.mark.parametrize("number", [TOO_LARGE, "99999999999999999999", "0", "-1"])
async def test_an_id_out_of_range_is_not_found(client: Any, demo: None, number: str) -> None:
    await sign_in(client, ANA)
    for path in ID_PATHS:
        response = await client.get(path.format(number), follow_redirects=False)
        assert response.status_code == 404, (path, response.status_code)
        assert "Page not found" in response.text
    assert (await submit(client, f"/downloads/{number}/retry")).status_code == 404


async def test_an_id_out_of_range_in_the_query_is_ignored(client: Any, demo: None) -> None:
    await sign_in(client, ANA)
    response = await client.get(f"/pay/barcode?bill={TOO_LARGE}")
    assert response.status_code == 200
    assert 'name="barcode"' in response.text


@pytest.mark.parametrize(
    "path", ["/payments/%00", "/payments/%00/status", "/payments/%00/receipt.pdf", "/pay/%00/check"]
)
async def test_a_control_character_in_the_path_is_not_found(client: Any, demo: None, path: str) -> None:
    assert (await client.get(path)).status_code == 404


async def test_a_nul_in_the_static_files_path_is_not_found(client: Any) -> None:
    assert (await client.get("/static/..%00/pyproject.toml")).status_code == 404
    assert (await client.get("/static/" + "a" * 300)).status_code == 404


@pytest.mark.parametrize("path", ["/bills?account=%00", "/bills/bills.csv?account=%00", "/sign-in?next=%00"])
async def test_a_control_character_in_the_query_is_refused(client: Any, demo: None, path: str) -> None:
    await sign_in(client, ANA)
    response = await client.get(path)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "Check the address" in response.text


@pytest.mark.parametrize(("name", "label"), [("period_from", "Period from"), ("period_to", "Period to")])
@pytest.mark.parametrize(
    ("month", "year", "problem"),
    [
        ("9" * 20, "2026", "must be a real month"),
        ("3", "9" * 20, "must include a year of 4 digits"),
        ("²", "2026", "must be a real month"),
        ("3", "²⁰²⁶", "must include a year of 4 digits"),
        ("3", "9999", "must include a year between 1900 and 2999"),
        ("3", "1899", "must include a year between 1900 and 2999"),
        ("13", "2026", "must be a real month"),
        ("003", "2026", "must be a real month"),
    ],
)
async def test_a_month_that_is_no_month_gets_a_message(
    client: Any, demo: None, name: str, label: str, month: str, year: str, problem: str
) -> None:
    await sign_in(client, ANA)
    query = {f"{name}_month": month, f"{name}_year": year}
    response = await client.get("/bills", params=query)
    assert response.status_code == 422
    assert any(message.startswith(f"{label} {problem}") for message in error_messages(response.text))
    assert f'name="{name}_month" type="text" inputmode="numeric" value="{month}"' in response.text  # as typed
    assert f'name="{name}_year" type="text" inputmode="numeric" value="{year}"' in response.text
    assert (await client.get("/bills/bills.csv", params=query)).status_code == 422


async def test_control_characters_typed_in_a_form_are_dropped(client: Any, demo: None) -> None:
    """Sign-in, registration and forgotten password with a NUL: the page answers, the rest of the text is
    kept."""
    response = await submit(client, "/sign-in", {"username": "ana.demo\x00", "password": ANA[1]})
    assert response.status_code == 303
    client.cookies.clear()
    response = await submit(client, "/password/forgotten", {"login": "nobody\x00@example.com"})
    assert response.status_code < 500
    response = await submit(client, "/sign-in", {"username": "nob\x00ody", "password": "x"})
    assert response.status_code == 422
    assert 'value="nobody"' in response.text


async def test_download_pages_and_marks_take_only_ascii_numbers(client: Any, demo: None) -> None:
    await sign_in(client, ANA)
    response = await start(client)
    assert response.status_code == 303
    bills_page = response.headers["location"]
    for page in ("²³", "9" * 40, "-1", "٣"):
        response = await client.get(bills_page, params={"page": page})
        assert response.status_code == 200, page
        assert 'id="bills-heading"' in response.text
    marks = {"shown": ["²³", "9" * 40, TOO_LARGE], "bill": ["٣", TOO_LARGE], "action": "page:²³"}
    assert (await submit(client, bills_page, marks)).status_code == 303


async def test_the_csv_says_its_charset_once(client: Any, demo: None) -> None:
    await sign_in(client, ANA)
    response = await client.get("/bills/bills.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"


def test_the_csrf_exemptions_match_whole_paths_only(app: Litestar) -> None:
    assert app.csrf_config is not None
    pattern = build_exclude_path_pattern(exclude=app.csrf_config.exclude)
    assert pattern is not None
    for path in ("/healthz", "/readyz", "/payments/notification"):
        assert pattern.findall(path), path
    for path in ("/x/healthz", "/healthz/x", "/pay/x/payments/notification", "/payments/notification/x"):
        assert not pattern.findall(path), path
