"""The sandbox bank speaks the language the merchant asks for (DS_MERCHANT_CONSUMERLANGUAGE): Spanish for
Redsys' 001 ("1" too), English for any other or none, whatever the portal's DEFAULT_LANGUAGE; its pages,
its messages, its error pages and the language it reports back in the notification."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from portal import i18n
from tests.integration.payments.sandbox.sandbox_merchant import Merchant
from tests.integration.payments.sandbox.sandbox_support import (  # noqa: F401 (fixtures)
    BankClient,
    form_of,
    merchant_fixture,
    notification,
    sandbox_fixture,
)
from tests.steps import page_language


@pytest.fixture
def portal_speaks_spanish_by_default() -> Iterator[None]:
    """DEFAULT_LANGUAGE=es in the portal: not the bank's business."""
    before = i18n.default_language()
    i18n.configure("es")
    yield
    i18n.configure(before)


@pytest.mark.parametrize("code", ["001", "1"])
async def test_spanish_when_asked_for(sandbox: BankClient, merchant: Merchant, code: str) -> None:
    path = await sandbox.open(merchant.request(language=code))
    card = (await sandbox.http.get(path)).text
    assert page_language(card) == "es"
    assert "<title>Pago con tarjeta – Banco de pruebas (sin dinero real)</title>" in card
    for spanish in ("Número de la tarjeta", "Fecha de caducidad", "Código de seguridad (CVV)", "Aceptar"):
        assert spanish in card
    assert "14,69\xa0€" in card

    refused = await sandbox.pay(path, card_number="4548 8120 4940 0005", cvv="")
    assert refused.status_code == 422
    assert "<title>Error: Pago con tarjeta" in refused.text
    assert "Compruebe el número de la tarjeta: no es un número de tarjeta válido" in refused.text
    assert "Introduzca el código de seguridad" in refused.text
    assert "Hay un problema" in refused.text

    assert (await sandbox.pay(path, card_number="4918 0191 9988 3839")).status_code == 303
    challenge = (await sandbox.http.get(f"{path}/challenge")).text
    assert "<h1>Confirme el pago</h1>" in challenge
    wrong = await sandbox.post(f"{path}/challenge", {"code": "654321"})
    assert "El código de confirmación no es correcto. Le quedan 2 intentos" in wrong.text
    wrong = await sandbox.post(f"{path}/challenge", {"code": "654321"})
    assert "El código de confirmación no es correcto. Le queda 1 intento" in wrong.text
    assert (await sandbox.post(f"{path}/challenge", {"code": "123456"})).status_code == 303

    result = (await sandbox.http.get(f"{path}/result")).text
    assert page_language(result) == "es"
    assert "Pago autorizado" in result and "Volver al comercio</a>" in result
    [form] = merchant.notifications
    assert notification(form).raw["Ds_ConsumerLanguage"] == "1"


@pytest.mark.parametrize("code", [None, "002", "003"])
async def test_english_otherwise(
    sandbox: BankClient, merchant: Merchant, portal_speaks_spanish_by_default: None, code: str | None
) -> None:
    path = await sandbox.open(merchant.request(language=code))
    card = (await sandbox.http.get(path)).text
    assert page_language(card) == "en"
    assert "<title>Pay by card – Sandbox bank (test, no real money)</title>" in card
    for english in ("Card number", "Expiry date", "Security code (CVV)", "Name on the card", "Accept"):
        assert english in card
    refused = await sandbox.pay(path, cvv="")
    assert "There is a problem" in refused.text and "Enter the security code" in refused.text
    await sandbox.post(f"{path}/cancel")
    result = (await sandbox.http.get(f"{path}/result")).text
    assert "Payment cancelled" in result and "Return to the merchant</a>" in result
    [form] = merchant.notifications
    assert notification(form).raw["Ds_ConsumerLanguage"] == "2"


async def test_refusals_and_error_pages_in_spanish(sandbox: BankClient, merchant: Merchant) -> None:
    request = merchant.request(language="001")
    refused = await sandbox.start(request, form_of(request, Ds_Signature="A" * 44))
    assert refused.status_code == 400
    assert page_language(refused.text) == "es"
    assert "No se puede iniciar el pago" in refused.text
    assert "La solicitud de pago no está firmada correctamente." in refused.text
    assert "Código de error SIS0042." in refused.text

    path = await sandbox.open(request)
    sandbox.token = "not-the-token"
    expired = await sandbox.pay(path)
    assert expired.status_code == 403
    assert page_language(expired.text) == "es"
    assert "Este formulario había caducado o se envió desde otro sitio" in expired.text
    assert "No se ha cobrado nada." in expired.text
