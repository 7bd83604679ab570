"""A stand-in merchant for testing the sandbox bank on its own: a real HTTP server on a free port.

It is what sits outside the bank (the portal, in real use): it signs payment requests with the merchant
key, takes the bank's server-to-server notifications at /notify (answering each with the next status it
was told to, then 200), serves a checkout page with the signed form, and the /ok and /ko return pages.
Used by tests/integration/payments/sandbox and e2e/test_sandbox_bank.py.
"""

from __future__ import annotations

import threading
import time
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from portal.payments.redsys import PaymentRequest, new_order_id
from portal.settings import SANDBOX_GATEWAY_SECRET

MERCHANT_CODE = "999008881"
TERMINAL = "1"
SECRET = SANDBOX_GATEWAY_SECRET


def new_order() -> str:
    """A fresh 12-character order id (the bank refuses an order that was already paid)."""
    return new_order_id()


class Merchant:
    def __init__(self) -> None:
        self.notifications: list[dict[str, str]] = []
        self.statuses: list[int] = []  # answers to the next notifications, in order; then 200
        self.checkout_html = "<!doctype html><title>Checkout</title>"
        self._lock = threading.Lock()
        merchant = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _answer(self, status: int, html: str) -> None:
                body = html.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = dict(parse_qsl(self.rfile.read(length).decode("ascii")))
                if self.path != "/notify":
                    self._answer(404, "not here")
                    return
                with merchant._lock:
                    merchant.notifications.append(form)
                    status = merchant.statuses.pop(0) if merchant.statuses else 200
                self._answer(status, "ok")

            def do_GET(self) -> None:
                if self.path == "/checkout":
                    self._answer(200, merchant.checkout_html)
                elif self.path in {"/ok", "/ko"}:
                    title = "Back at the merchant: " + self.path[1:].upper()
                    self._answer(
                        200, f'<!doctype html><html lang="en"><title>{title}</title><h1>{title}</h1>'
                    )
                else:
                    self._answer(404, "not here")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def start(self) -> Merchant:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def request(self, *, order: str | None = None, amount_cents: int = 1469, **extra: str) -> PaymentRequest:
        return PaymentRequest(
            amount_cents=amount_cents,
            order=order or new_order(),
            merchant_code=MERCHANT_CODE,
            terminal=TERMINAL,
            merchant_url=f"{self.url}/notify",
            url_ok=f"{self.url}/ok",
            url_ko=f"{self.url}/ko",
            **extra,  # type: ignore[arg-type]
        )

    def checkout(self, bank_start_url: str, request: PaymentRequest, **tampered: str) -> str:
        """Serve a checkout page whose "Pay by card" button posts the signed request to the bank (with any
        `tampered` fields replaced); its URL."""
        form = {**request.to_form(SECRET), **tampered}
        fields = "".join(
            f'<input type="hidden" name="{name}" value="{escape(value)}">' for name, value in form.items()
        )
        self.checkout_html = (
            '<!doctype html><html lang="en"><head><title>Merchant checkout</title></head><body><main>'
            f'<h1>Merchant checkout</h1><form method="post" action="{escape(bank_start_url)}">{fields}'
            '<button type="submit">Pay by card</button></form></main></body></html>'
        )
        return f"{self.url}/checkout"

    def wait_for(self, count: int, timeout: float = 15) -> list[dict[str, str]]:
        """The notifications, once at least `count` arrived (the server runs in its own thread)."""
        deadline = time.monotonic() + timeout
        while len(self.notifications) < count:
            assert time.monotonic() < deadline, (
                f"expected {count} notification(s), got {len(self.notifications)}"
            )
            time.sleep(0.02)
        return list(self.notifications)
