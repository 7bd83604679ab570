"""The sandbox bank's side of the result: the signed notification, posted server to server to the merchant.

The first attempt is made while the payer waits (a few seconds at most), so that the merchant usually
knows the result before the browser comes back; if it fails (no answer, or not a 2xx), the sandbox keeps
trying in the background with growing delays and logs each attempt. The browser is sent back either way:
the merchant shows "pending" until a notification arrives, as with a real gateway.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import structlog

from portal.payments.redsys import build_notification
from portal.payments.sandbox.operations import ENGLISH, SPANISH, Operation

log = structlog.get_logger("portal.sandbox")

# Redsys dates and hours are Spanish local time.
MADRID = ZoneInfo("Europe/Madrid")
RETRY_DELAYS: tuple[float, ...] = (2, 5, 15, 30, 60)  # seconds before each retry after the first attempt
TIMEOUT = 5.0  # seconds per attempt


def authorisation_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def notification_parameters(operation: Operation, now: datetime) -> dict[str, str]:
    """The notification's parameters (Redsys names), from a finished operation."""
    request = operation.request
    local = now.astimezone(MADRID)
    params = {
        "Ds_Date": quote(local.strftime("%d/%m/%Y"), safe=""),
        "Ds_Hour": quote(local.strftime("%H:%M"), safe=""),
        "Ds_SecurePayment": "1" if operation.secure_payment else "0",
        "Ds_Amount": str(request.amount_cents),
        "Ds_Currency": request.currency,
        "Ds_Order": request.order,
        "Ds_MerchantCode": request.merchant_code,
        "Ds_Terminal": request.terminal.zfill(3),
        "Ds_Response": operation.response or "",
        "Ds_MerchantData": request.merchant_data,
        "Ds_TransactionType": request.transaction_type,
        "Ds_ConsumerLanguage": SPANISH if request.language == "es" else ENGLISH,
        "Ds_AuthorisationCode": operation.authorisation_code,
    }
    if operation.card_masked:
        params.update(
            Ds_Card_Number=operation.card_masked,
            Ds_Card_Country="724",
            Ds_Card_Brand=operation.card_brand or "6",
            Ds_ProcessedPayMethod="1",
        )
    return params


class Notifier:
    """Posts notifications; retries failed ones in background tasks that it owns and cancels on close."""

    def __init__(self, secret_b64: str, retry_delays: Sequence[float] = RETRY_DELAYS) -> None:
        self.secret = secret_b64
        self.retry_delays = tuple(retry_delays)
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def sign(self, operation: Operation, now: datetime) -> dict[str, str]:
        return build_notification(self.secret, notification_parameters(operation, now))

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            # No proxies from the environment: the merchant is reached directly, as a bank would.
            self._client = httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False, trust_env=False)
        return self._client

    async def _attempt(self, operation: Operation, attempt: int) -> bool:
        order = operation.request.order
        try:
            response = await self.client.post(operation.request.merchant_url, data=operation.notification)
        except httpx.HTTPError as exc:
            log.warning("sandbox.notification_failed", order=order, attempt=attempt, error=type(exc).__name__)
            return False
        if not response.is_success:
            log.warning(
                "sandbox.notification_failed", order=order, attempt=attempt, status=response.status_code
            )
            return False
        log.info(
            "sandbox.notification_sent",
            order=order,
            attempt=attempt,
            status=response.status_code,
            response=operation.response,
        )
        return True

    async def send(self, operation: Operation) -> bool:
        """Post the operation's notification once now; on failure keep trying in the background."""
        if await self._attempt(operation, 1):
            return True
        if self.retry_delays:
            task = asyncio.create_task(self._retry(operation))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return False

    async def _retry(self, operation: Operation) -> None:
        for attempt, delay in enumerate(self.retry_delays, start=2):
            await asyncio.sleep(delay)
            if await self._attempt(operation, attempt):
                return
        log.error(
            "sandbox.notification_abandoned",
            order=operation.request.order,
            attempts=len(self.retry_delays) + 1,
        )

    async def drain(self) -> None:
        """Wait for the background retries to finish (tests; a graceful stop)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None
