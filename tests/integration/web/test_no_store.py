"""No browser or proxy keeps what a signed-in viewer was shown: every response to a signed-in viewer, page or
htmx fragment, success or error, says `Cache-Control: no-store`, and so do the payment pages that show a
payer's data without any sign-in. Signing out tells the browser to drop what it kept (`Clear-Site-Data`).
The routes come from the app's route table."""

from __future__ import annotations

from typing import Any

from litestar import Litestar

from tests.conftest import csrf_token
from tests.integration.downloads.download_steps import start as start_download
from tests.integration.payments.helpers import check_page, start_payment
from tests.steps import ANA, sign_in

SAMPLES = {"int": "1", "str": "x"}


def sample_paths(app: Litestar, method: str) -> list[str]:
    """Each route of `method` but the static files, its path parameters filled with a sample."""
    paths = []
    for route in app.routes:
        if method not in getattr(route, "methods", set()) or route.path.startswith("/static"):
            continue
        path = route.path
        for param in route.path_parameters.values():
            path = path.replace(f"{{{param.full}}}", SAMPLES[param.type.__name__])
        paths.append(path)
    return sorted(paths)


def assert_no_store(response: Any, what: str) -> None:
    assert "no-store" in response.headers.get("cache-control", ""), (what, response.status_code)


async def test_every_response_to_a_signed_in_viewer_is_not_stored(
    client: Any, app: Litestar, demo: None
) -> None:
    await sign_in(client, ANA)
    assert (await start_download(client)).status_code == 303  # /downloads/1/… answer their pages
    gets = sample_paths(app, "GET")
    assert {"/bills", "/bills/1", "/bills/1/pdf/status", "/account", "/downloads/1/bills"} <= set(gets)
    statuses = set()
    for path in gets:
        for headers in ({}, {"HX-Request": "true"}):
            response = await client.get(path, headers=headers, follow_redirects=False)
            statuses.add(response.status_code)
            assert_no_store(response, f"GET {path} {headers}")
    assert {200, 303, 404} <= statuses  # pages, redirects and errors were all checked
    for path in sample_paths(app, "POST"):
        if path == "/sign-out":
            continue
        response = await client.post(
            path, data={"_csrf_token": await csrf_token(client)}, follow_redirects=False
        )
        assert_no_store(response, f"POST {path}")

    response = await client.post(
        "/sign-out", data={"_csrf_token": await csrf_token(client)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert_no_store(response, "POST /sign-out")
    assert response.headers["clear-site-data"] == '"cache", "cookies"'


async def test_payment_pages_are_not_stored_without_a_sign_in(client: Any, app: Litestar, demo: None) -> None:
    """The check page shows what the payer typed and their email; the receipt the payment."""
    check = await check_page(client)
    assert_no_store(await client.get(check), check)
    order = await start_payment(client, check)
    for path in (f"/payments/{order}", f"/payments/{order}/status", f"/payments/{order}/bank"):
        response = await client.get(path, follow_redirects=False)
        assert response.status_code == 200, path
        assert_no_store(response, path)
