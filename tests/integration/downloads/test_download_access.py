"""A request holds bills of the accounts its owner saw when confirming it. Once their access to one of
those accounts is removed, its zip is neither given nor built (a ready one, a "Try again", a request
queued again by the sweep), and every page says why, in each language; when the access comes back, the
request works again."""

from __future__ import annotations

import datetime as dt
from typing import Any

from portal import clock
from portal.db import fetch
from portal.db.tables import AccountAccess, DownloadRequest, OutboxEmail
from portal.db.tables.downloads import DownloadState
from portal.demo.fresh import add_download_request
from portal.downloads import archive, sweep
from portal.infra.storage import Storage
from portal.templating import make_environment
from tests.conftest import stored_keys, submit, wait_until
from tests.integration.downloads.download_steps import (
    ANA_ACCOUNTS,
    confirmed_request,
    text_of,
    wait_until_finished,
)
from tests.steps import sign_in

UNAVAILABLE = "No longer available"
WHY = "You no longer have access to some of its accounts, so its file is not available."


async def remove_access(account_number: str, username: str = "ana.demo") -> dict[str, Any]:
    """Delete the user's access to the account (no page does it yet: an operator does); the row removed."""
    [row] = await fetch(
        "DELETE FROM account_access x USING account a, portal_user u"
        ' WHERE a.id = x.account AND u.id = x."user" AND a.number = {} AND u.username = {} RETURNING x.*',
        account_number,
        username,
    )
    return dict(row)


async def give_back(access: dict[str, Any]) -> None:
    await AccountAccess.insert(
        AccountAccess(
            user=access["user"],
            account=access["account"],
            role=access["role"],
            created_at=access["created_at"],
        )
    )


async def state_of(request_id: int) -> dict[str, Any]:
    row = await DownloadRequest.select().where(DownloadRequest.id == request_id).first()
    assert row is not None
    return row


async def test_a_ready_zip_is_refused_once_access_to_one_of_its_accounts_is_removed(
    client: Any, demo: None, worker: Any
) -> None:
    await sign_in(client)
    request_id = await confirmed_request(client, period="last_3")  # by identity: both of Ana's accounts
    await wait_until_finished(client)
    assert (await client.get(f"/downloads/{request_id}/file")).status_code == 200

    access = await remove_access(ANA_ACCOUNTS[1])
    file = await client.get(f"/downloads/{request_id}/file")  # its link, in the list left open
    assert (
        file.status_code == 404
        and f"<h1>{UNAVAILABLE}</h1>" in file.text
        and "Page not found" not in file.text
    )
    assert "You no longer have access to some of the accounts in Ana bills.zip" in text_of(file.text)
    # Every page that shows the request says why, without JavaScript (the page) and with it (the fragment
    # it polls), and offers neither the file nor "Try again".
    page = await client.get("/downloads/requested")
    status = await client.get("/downloads/requested/status", params={"seen": f"{request_id}:ready"})
    assert page.status_code == 200 and status.status_code == 286  # nothing to wait for: no polling
    for shown in (page.text, status.text):
        assert f"{UNAVAILABLE} {WHY}" in text_of(shown)
        assert f"/downloads/{request_id}/file" not in shown and "Try again" not in shown
    assert "Ana bills.zip: no longer available." in status.text  # announced
    request_page = await client.get(f"/downloads/{request_id}/requested")
    assert request_page.status_code == 200 and f"<title>{UNAVAILABLE}" in request_page.text
    assert "You no longer have access to some of the accounts in Ana bills.zip" in text_of(request_page.text)
    assert f"Ana bills.zip: {UNAVAILABLE}" in text_of((await client.get("/account")).text)
    await submit(client, "/language", {"language": "es", "return_to": "/downloads/requested"})
    spanish = text_of((await client.get("/downloads/requested")).text)
    assert "Ya no disponible Ya no tiene acceso a algunas de sus cuentas" in spanish
    assert (await state_of(request_id))["state"] == DownloadState.ready  # kept until it expires

    # Asked at each use: with the access back, the file is given again.
    await give_back(access)
    assert (await client.get(f"/downloads/{request_id}/file")).status_code == 200


async def test_try_again_after_access_was_removed_builds_nothing(
    client: Any, demo: None, worker: Any, settings: Any
) -> None:
    await sign_in(client)
    request_id = await add_download_request("ana.demo", DownloadState.failed, "Retried bills")
    [request] = await DownloadRequest.select(DownloadRequest.selector).where(DownloadRequest.id == request_id)
    access = await remove_access(request["selector"])
    page = await client.get("/downloads/requested")
    assert f"{UNAVAILABLE} {WHY}" in text_of(page.text) and "Try again" not in page.text
    # "Try again" from a page shown before the removal: queued, and the worker refuses to build it.
    response = await submit(client, f"/downloads/{request_id}/retry")
    assert response.status_code == 303 and response.headers["location"] == "/downloads/requested"

    async def refused() -> bool:
        job = await worker.queue.job(archive.job_key(request_id))
        return job is not None and job.status == "complete"

    await wait_until(refused)
    assert (await worker.queue.job(archive.job_key(request_id))).result == "refused: access lost"
    row = await state_of(request_id)
    assert row["state"] == DownloadState.failed and row["error"] == archive.ACCESS_LOST_ERROR
    assert await stored_keys(Storage(settings.storage), "downloads/") == []
    assert await OutboxEmail.count().where(OutboxEmail.template == "download_ready") == 0
    assert f"{UNAVAILABLE} {WHY}" in text_of((await client.get("/downloads/requested")).text)

    # With the access back, it is a failed request again, and "Try again" prepares it.
    await give_back(access)
    page = await client.get("/downloads/requested")
    assert "Failed" in text_of(page.text) and "Try again" in page.text
    await submit(client, f"/downloads/{request_id}/retry")
    await wait_until_finished(client)
    assert (await client.get(f"/downloads/{request_id}/file")).status_code == 200


async def test_a_request_queued_again_by_the_sweep_after_access_was_removed_is_refused(
    client: Any, demo: None, queue: Any, settings: Any
) -> None:
    """Its job was lost (the queue did not answer at Confirm); the sweep queues it again, and the job,
    run after the removal, refuses it rather than zip a bill of an account Ana no longer sees."""
    await sign_in(client)
    request_id = await confirmed_request(client, period="last_3")  # both of Ana's accounts
    await queue.abort(await queue.job(archive.job_key(request_id)), "lost")
    long_ago = clock.now() - dt.timedelta(hours=1)
    await DownloadRequest.update({DownloadRequest.updated_at: long_ago}).where(
        DownloadRequest.id == request_id
    )
    await remove_access(ANA_ACCOUNTS[1])
    storage = Storage(settings.storage)
    assert (await sweep.sweep(settings, storage, queue))["requeued"] == 1
    result = await archive.build(request_id, settings, storage, queue, make_environment(settings))
    assert result == "refused: access lost"
    assert (await state_of(request_id))["state"] == DownloadState.failed
    assert await stored_keys(storage, "downloads/") == []
    assert f"{UNAVAILABLE} {WHY}" in text_of((await client.get("/downloads/requested")).text)
