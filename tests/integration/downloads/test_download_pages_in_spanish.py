"""The download pages in Spanish write everything in it: the check page's period ("Últimos 12 meses"; it
was left in English), and on "Downloads requested" the file's size with a decimal comma and, for a file
ready on another day than requested, that day as well as the time; the address of a file no longer there
says what became of it, and so does a file that cannot be found."""

from __future__ import annotations

import datetime as dt
from typing import Any

from portal import clock
from portal.db.tables import DownloadRequest
from portal.db.tables.downloads import DownloadState
from portal.demo.fresh import add_download_request
from tests.integration.downloads.download_steps import request_until_check, text_of
from tests.steps import sign_in

SPANISH = {"accept-language": "es-ES,es;q=0.9"}


async def test_the_check_page_names_the_period_in_spanish(client: Any, demo: None) -> None:
    client.headers.update(SPANISH)
    await sign_in(client)
    preset = await request_until_check(client, period="last_12")
    text = text_of((await client.get(f"/downloads/{preset}/check")).text)
    assert "(Últimos 12 meses)" in text and "Last 12 months" not in text

    # Months chosen by hand: their dates alone, without "(Elegir los meses)" after them.
    custom = await request_until_check(client, period="custom", period_from="2026-01", period_to="2026-06")
    text = text_of((await client.get(f"/downloads/{custom}/check")).text)
    assert "Periodo de facturación del 1 ene 2026 al 30 jun 2026 Cambiar" in text


async def test_size_and_ready_time_in_spanish(client: Any, demo: None) -> None:
    client.headers.update(SPANISH)
    await sign_in(client)
    request_id = await request_until_check(client, name="Facturas")
    # Requested at 23:50 in Madrid (TIMEZONE), ready at 00:10 the next day there: the same day in UTC.
    requested = dt.datetime(2026, 11, 5, 22, 50, tzinfo=dt.UTC)
    ready = requested + dt.timedelta(minutes=20)
    await DownloadRequest.update(
        {
            DownloadRequest.state: "ready",
            DownloadRequest.size_bytes: 1_234_567,
            DownloadRequest.requested_at: requested,
            DownloadRequest.ready_at: ready,
            DownloadRequest.expires_at: ready + dt.timedelta(days=7),
        }
    ).where(DownloadRequest.id == request_id)
    text = text_of((await client.get("/downloads/requested")).text)
    assert "5 nov 2026, 23:50 lista el 6 nov 2026 a las 00:10" in text
    assert "1,2 MB" in text

    # Ready the same day (in Madrid): the time says it.
    await DownloadRequest.update({DownloadRequest.ready_at: requested + dt.timedelta(minutes=5)}).where(
        DownloadRequest.id == request_id
    )
    text = text_of((await client.get("/downloads/requested")).text)
    assert "5 nov 2026, 23:50 lista a las 23:55" in text


async def test_the_address_of_a_file_no_longer_there_says_so_in_spanish(client: Any, demo: None) -> None:
    client.headers.update(SPANISH)
    await sign_in(client)
    request_id = await add_download_request("ana.demo", DownloadState.expired, "Facturas viejas")
    for state, status, heading, says in (
        (DownloadState.expired, 410, "Este archivo ha caducado", "El archivo se borró el"),
        (DownloadState.failed, 404, "No se ha podido preparar este archivo", "Algo ha fallado al preparar"),
        (DownloadState.queued, 404, "Este archivo aún no está listo", "Estamos preparando su archivo."),
    ):
        await DownloadRequest.update({DownloadRequest.state: state}).where(DownloadRequest.id == request_id)
        response = await client.get(f"/downloads/{request_id}/file")
        assert response.status_code == status
        assert f"<title>{heading} – " in response.text and f"<h1>{heading}</h1>" in response.text
        assert says in text_of(response.text) and "Descargas solicitadas" in text_of(response.text)


async def test_a_file_that_cannot_be_found_says_so_in_spanish(client: Any, demo: None) -> None:
    """Ready, in its time, and no file in storage (lost): its address, its page and the list say so."""
    client.headers.update(SPANISH)
    await sign_in(client)
    request_id = await add_download_request("ana.demo", DownloadState.failed, "Facturas perdidas")
    await DownloadRequest.update(
        {
            DownloadRequest.state: DownloadState.ready,
            DownloadRequest.expires_at: clock.now() + dt.timedelta(days=7),
        }
    ).where(DownloadRequest.id == request_id)
    heading, says = "No se encuentra este archivo", "No encontramos el archivo de Facturas perdidas.zip"
    response = await client.get(f"/downloads/{request_id}/file")
    assert response.status_code == 404
    assert f"<title>{heading} – " in response.text and f"<h1>{heading}</h1>" in response.text
    assert says in text_of(response.text) and ">Solicitar descarga</a>" in response.text
    assert says in text_of((await client.get(f"/downloads/{request_id}/requested")).text)
    listed = text_of((await client.get("/downloads/requested")).text)
    assert "Archivo no encontrado No encontramos su archivo, por lo que no se puede descargar." in listed
