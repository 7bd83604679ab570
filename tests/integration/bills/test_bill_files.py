"""A bill's PDF is rendered once by the worker, stored and then served (and made again if storage lost
it); its Factur-X XML and the PDF's attachment pass the official schema; nobody else gets them."""

import io
import re
from typing import Any

import facturx
from pypdf import PdfReader

from portal.db.tables import Account, Bill
from portal.infra.storage import Storage
from tests.conftest import pdf_ready, submit, wait_until
from tests.steps import sign_in


async def ana_bill() -> dict[str, Any]:
    account = await Account.select(Account.id).where(Account.number == "0001000413").first()
    bill = await Bill.select().where(Bill.account == account["id"]).order_by(Bill.id, ascending=False).first()
    assert bill is not None
    return bill


async def test_pdf_is_prepared_by_the_worker_then_served(
    client: Any, demo: None, worker: Any, settings: Any
) -> None:
    bill = await ana_bill()
    await sign_in(client)
    first = await client.get(f"/bills/{bill['id']}/pdf")
    assert first.status_code == 200
    assert "Your PDF is being prepared" in first.text
    assert 'hx-trigger="every 2s"' in first.text and "Check again" in first.text

    status = await wait_until(pdf_ready(client, f"/bills/{bill['id']}/pdf/status"), every=0.2)
    assert "Download bill" in status.text
    # The page stops saying "being prepared": htmx takes the title, and the heading's words, from the poll.
    assert "<title>Your PDF is ready – Customer Service Area – Aguas de Ejemplo, S.A.</title>" in status.text
    assert '<span data-hx-swap-oob="innerHTML:#file-heading">Your PDF is ready</span>' in status.text
    assert 'id="file-heading"' in first.text

    pdf = await client.get(f"/bills/{bill['id']}/pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["cache-control"] == "no-store"
    assert f'filename="{bill["number"]}.pdf"' in pdf.headers["content-disposition"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    code = f"90507{settings.issuer.code}{bill['payment_suffix']}{bill['payment_reference']}"
    digits = re.sub(r"\s", "", text)
    assert code in digits and bill["number"] in text
    _, xml = facturx.get_xml_from_pdf(pdf.content, check_xsd=False)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")

    stored = await Storage(settings.storage).read(f"bills/en/{bill['number']}.pdf")
    assert stored == pdf.content  # served from storage, rendered once


async def test_a_stored_pdf_that_storage_lost_is_prepared_again(
    client: Any, demo: None, worker: Any, settings: Any
) -> None:
    """A bill's PDF that storage no longer has (an operator deleted it, the bucket lost it) is made again,
    as the first time: "being prepared", then given; never "Page not found" nor a 500."""
    bill = await ana_bill()
    address, key = f"/bills/{bill['id']}/pdf", f"bills/en/{bill['number']}.pdf"
    await sign_in(client)
    await client.get(address)
    await wait_until(pdf_ready(client, f"{address}/status"), every=0.2)
    storage = Storage(settings.storage)
    await storage.delete(key)

    again = await client.get(address)
    assert again.status_code == 200 and "Your PDF is being prepared" in again.text
    await wait_until(pdf_ready(client, f"{address}/status"), every=0.2)
    pdf = await client.get(address)
    assert pdf.headers["content-type"] == "application/pdf"
    assert await storage.read(key) == pdf.content


async def test_the_status_poll_changes_nothing_until_the_pdf_is_ready(client: Any, demo: None) -> None:
    """No worker here: the PDF stays "being prepared". Each poll answers 204, so htmx swaps nothing and the
    status region does not announce the same sentence every two seconds."""
    bill = await ana_bill()
    await sign_in(client)
    assert (await client.get(f"/bills/{bill['id']}/pdf")).status_code == 200
    for _ in range(2):
        poll = await client.get(f"/bills/{bill['id']}/pdf/status", headers={"HX-Request": "true"})
        assert poll.status_code == 204 and poll.content == b""


async def test_factur_x_xml_download(client: Any, demo: None) -> None:
    bill = await ana_bill()
    await sign_in(client)
    response = await client.get(f"/bills/{bill['id']}/factur-x.xml")
    assert response.headers["content-type"].startswith("application/xml")
    assert response.headers["content-disposition"] == f'attachment; filename="{bill["number"]}-factur-x.xml"'
    assert facturx.xml_check_xsd(response.content, flavor="factur-x", level="en16931")
    assert bill["number"].encode() in response.content


async def test_other_peoples_files_are_not_found(client: Any, demo: None) -> None:
    bill = await ana_bill()
    response = await submit(client, "/sign-in", {"username": "admin.demo", "password": "demo-password-admin"})
    assert response.status_code == 303
    for path in ("pdf", "pdf/status", "factur-x.xml", "bill.json"):
        assert (await client.get(f"/bills/{bill['id']}/{path}")).status_code == 404
