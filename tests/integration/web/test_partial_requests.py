"""Partial requests: htmx asking for a part of a page (a status poll, a ticked box). One that must lead
elsewhere sends the whole window there, and an error page answering one takes the whole window, never a
whole page inside the part that asked (it showed a header, a menu and a footer inside a box)."""

from __future__ import annotations

from typing import Any

from tests.conftest import submit
from tests.integration.downloads.download_steps import request_until_check, shown_bill_ids
from tests.steps import ANA, sign_in

PARTIAL = {"HX-Request": "true"}


def from_page(client: Any, address: str) -> dict[str, str]:
    """The headers htmx sends with a partial request from the page at `address`."""
    return {**PARTIAL, "HX-Current-URL": f"{client.base_url}{address}"}


async def test_signed_out_a_poll_sends_the_window_to_sign_in_and_back_to_its_page(
    client: Any, demo: None
) -> None:
    await sign_in(client, ANA)
    assert (await client.get("/downloads/requested")).status_code == 200
    await submit(client, "/sign-out")  # in another tab

    poll = await client.get(
        "/downloads/requested/status?seen=x", headers=from_page(client, "/downloads/requested?from=email")
    )
    assert poll.status_code == 200 and poll.text == ""
    assert poll.headers["content-type"].startswith("text/html")  # never JSON
    assert poll.headers["hx-redirect"] == "/sign-in?next=%2Fdownloads%2Frequested%3Ffrom%3Demail"
    # A page asked for as a whole (a boosted link, or no htmx at all) is still a 303 to "Sign in".
    for headers in ({**PARTIAL, "HX-Boosted": "true"}, {}):
        whole = await client.get("/downloads/requested", headers=headers, follow_redirects=False)
        assert whole.status_code == 303 and "hx-redirect" not in whole.headers
        assert whole.headers["location"] == "/sign-in?next=%2Fdownloads%2Frequested"


async def test_a_box_ticked_after_the_draft_was_confirmed_opens_its_confirmation(
    client: Any, demo: None
) -> None:
    await sign_in(client, ANA)
    request_id = await request_until_check(client)
    marking = await client.get(f"/downloads/{request_id}/bills")
    ids = shown_bill_ids(marking.text)
    assert (await submit(client, f"/downloads/{request_id}/confirm")).status_code == 303  # in another tab

    ticked = await submit(
        client,
        f"/downloads/{request_id}/bills/marks",
        {"shown": ids, "bill": ids[:1]},
        headers=from_page(client, f"/downloads/{request_id}/bills"),
    )
    assert ticked.status_code == 200 and ticked.text == ""
    assert ticked.headers["hx-redirect"] == f"/downloads/{request_id}/requested"


async def test_a_stale_form_token_in_a_partial_request_reloads_its_page(client: Any, demo: None) -> None:
    await sign_in(client, ANA)
    request_id = await request_until_check(client)
    address = f"/downloads/{request_id}/bills/marks"
    stale = {"_csrf_token": "from-before-signing-in-again", "bill": "1"}
    page = from_page(client, f"/downloads/{request_id}/bills")
    partial = await client.post(address, data=stale, headers=page)
    assert partial.status_code == 200 and partial.headers["hx-refresh"] == "true"
    whole = await client.post(address, data=stale)
    assert whole.status_code == 403 and "This form had expired" in whole.text
    assert "hx-refresh" not in whole.headers


async def test_an_error_page_answering_a_partial_request_takes_the_whole_window(
    client: Any, demo: None
) -> None:
    await sign_in(client, ANA)
    poll = "/bills/999999999/pdf/status"  # no bill of Ana's
    partial = await client.get(poll, headers=from_page(client, "/bills/999999999/pdf"))
    assert partial.status_code == 404 and "Page not found" in partial.text
    assert (partial.headers["hx-retarget"], partial.headers["hx-reswap"]) == ("body", "innerHTML")
    for headers in ({**PARTIAL, "HX-Boosted": "true"}, {}):
        whole = await client.get(poll, headers=headers)
        assert whole.status_code == 404 and "hx-retarget" not in whole.headers
