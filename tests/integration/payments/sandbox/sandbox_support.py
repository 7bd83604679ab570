"""Fixtures and helpers: the sandbox bank in process (its lifespan run in the test's loop), and a real
stand-in merchant. Test modules import the fixtures they use (`merchant_fixture`, `sandbox_fixture`)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar import Litestar

from portal.payments.redsys import Notification, PaymentRequest, verify_notification
from portal.payments.sandbox.app import create_sandbox_app
from portal.payments.sandbox.bank import SandboxBank
from portal.settings import Settings
from tests.conftest import running
from tests.integration.payments.sandbox.sandbox_merchant import SECRET, Merchant

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
VALID_CARD = {"card_number": "4548 8120 4940 0004", "expiry": "12/39", "cvv": "123", "holder": "Ana Demo"}


@dataclass
class BankClient:
    """A payer's browser on the sandbox bank (cookies kept), and the bank app itself."""

    http: httpx.AsyncClient
    app: Litestar
    token: str = ""

    @property
    def bank(self) -> SandboxBank:
        return self.app.state.bank  # type: ignore[no-any-return]

    async def start(self, request: PaymentRequest, form: dict[str, str] | None = None) -> httpx.Response:
        """The merchant's signed form, posted as the browser does it (from another site: no CSRF token)."""
        return await self.http.post("/sis/realizarPago", data=form or request.to_form(SECRET))

    async def open(self, request: PaymentRequest) -> str:
        """Start a payment and follow it to the card page; its path. Keeps the page's CSRF token."""
        started = await self.start(request)
        assert started.status_code == 303, started.text
        path = str(started.headers["location"])
        card = await self.http.get(path)
        assert card.status_code == 200
        match = CSRF.search(card.text)
        assert match is not None
        self.token = match.group(1)
        return path

    async def post(self, path: str, data: dict[str, str] | None = None) -> httpx.Response:
        """POST a form of the bank's own pages, CSRF token included, without following redirects."""
        return await self.http.post(path, data={"_csrf_token": self.token, **(data or {})})

    async def pay(self, path: str, **fields: str) -> httpx.Response:
        return await self.post(path, {**VALID_CARD, **fields})


def notification(form: dict[str, str]) -> Notification:
    """A notification the merchant received, verified as the portal verifies it."""
    return verify_notification(
        SECRET, form["Ds_SignatureVersion"], form["Ds_MerchantParameters"], form["Ds_Signature"]
    )


@pytest.fixture(name="merchant")
def merchant_fixture() -> Iterator[Merchant]:
    stand_in = Merchant().start()
    yield stand_in
    stand_in.stop()


@pytest.fixture(name="sandbox")
async def sandbox_fixture(merchant: Merchant) -> AsyncIterator[BankClient]:
    app = create_sandbox_app(Settings.from_env(), retry_delays=(0.05, 0.1, 0.2))
    async with running(app) as http:
        yield BankClient(http, app)


def form_of(request: PaymentRequest, **changes: Any) -> dict[str, str]:
    return {**request.to_form(SECRET), **changes}
