"""Payment operations of the sandbox bank: the verified request, its state, and where they are kept.

Where: in the memory of the one sandbox process. The sandbox plays a bank for development and tests;
an operation only has to live while its payer is on the bank's pages (minutes), and losing the open ones
when the process stops is what a restarted test bank should do. A table would tie the "bank" to the
portal's database (it is another organisation in real life), and state signed into the URL or hidden
fields could be replayed (two notifications for one payment). So the process must be single: `portal
sandbox-bank` runs exactly one (no --workers), and the ids are random (`secrets.token_urlsafe`), not
derived from the order. Operations expire after OPERATION_LIFETIME and the store holds at most
MAX_OPERATIONS (the oldest go first), so a long-running sandbox cannot grow without bound.
"""

from __future__ import annotations

import enum
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from portal.i18n import gettext as _
from portal.payments.redsys import RedsysError, RedsysSignatureError, decode_parameters, parse_request

OPERATION_LIFETIME = 60 * 60  # seconds
MAX_OPERATIONS = 10_000
CHALLENGE_CODE = "123456"
CHALLENGE_ATTEMPTS = 3

# Ds_Response codes the sandbox sends (Redsys' own meanings).
AUTHORISED = "0000"
DECLINED = "0190"  # denied by the issuer, no reason given
AUTHENTICATION_FAILED = "0184"  # the payer failed 3-D Secure
CANCELLED = "9915"  # the payer cancelled the payment

# DS_MERCHANT_CONSUMERLANGUAGE: Redsys numbers its languages ("001" or "1" is Spanish, "002" English, …).
# The sandbox speaks Spanish and English: English for any other, as for none.
SPANISH = "1"
ENGLISH = "2"


class RequestRefused(Exception):
    """A payment request the bank will not take; `message` is shown to the payer (400)."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class State(enum.StrEnum):
    CARD = "card"  # waiting for the card form
    CHALLENGE = "challenge"  # waiting for the 3-D Secure code
    DONE = "done"  # finished: authorised, declined or cancelled; the notification has been sent


@dataclass(frozen=True)
class PaymentOrder:
    """A verified payment request: what the merchant asked for."""

    order: str
    amount_cents: int
    currency: str
    merchant_code: str
    terminal: str
    transaction_type: str
    merchant_url: str
    url_ok: str
    url_ko: str
    merchant_data: str
    description: str | None
    merchant_name: str | None
    parameters_b64: str  # as posted: a second post of the same form finds the same operation
    language: str  # the payer's, for the bank's pages: "es" or "en"


def _http_url(params: Mapping[str, str], name: str) -> str:
    value = params.get(name, "")
    try:
        parts = urlsplit(value)
        valid = parts.scheme in {"http", "https"} and bool(parts.hostname) and value.isprintable()
    except ValueError:  # e.g. "http://[::1"
        valid = False
    if not valid:
        raise RequestRefused(_("The merchant sent no valid %(name)s address.") % {"name": name})
    return value


def read_request(secret_b64: str, merchant_code: str, terminal: str, form: Mapping[str, str]) -> PaymentOrder:
    """Verify a payment request form (the merchant's key) and check what it asks for."""
    try:
        raw = parse_request(secret_b64, form)
    except RedsysSignatureError as exc:
        raise RequestRefused(_("The payment request is not correctly signed."), "SIS0042") from exc
    except RedsysError as exc:
        raise RequestRefused(_("The payment request is incomplete or malformed.")) from exc
    params = {name.upper(): value for name, value in raw.items()}  # parse_request refused duplicates
    amount = params.get("DS_MERCHANT_AMOUNT", "")
    if not (amount.isascii() and amount.isdigit() and 0 < int(amount) < 10**12):
        raise RequestRefused(_("The payment request has no valid amount."))
    if params.get("DS_MERCHANT_CURRENCY") != "978":
        raise RequestRefused(_("The sandbox bank takes payments in euros (currency 978) only."))
    if params.get("DS_MERCHANT_TRANSACTIONTYPE") != "0":
        raise RequestRefused(_("The sandbox bank takes payments (transaction type 0) only."))
    # Terminals are numbers: "1" and "001" are the same one.
    given_terminal = params.get("DS_MERCHANT_TERMINAL", "")
    if params.get("DS_MERCHANT_MERCHANTCODE") != merchant_code or (
        given_terminal.lstrip("0") != terminal.lstrip("0") or not given_terminal.isascii()
    ):
        raise RequestRefused(_("The sandbox bank does not know this merchant or terminal."))
    return PaymentOrder(
        order=params["DS_MERCHANT_ORDER"],
        amount_cents=int(amount),
        currency="978",
        merchant_code=merchant_code,
        terminal=terminal,
        transaction_type="0",
        merchant_url=_http_url(params, "DS_MERCHANT_MERCHANTURL"),
        url_ok=_http_url(params, "DS_MERCHANT_URLOK"),
        url_ko=_http_url(params, "DS_MERCHANT_URLKO"),
        merchant_data=params.get("DS_MERCHANT_MERCHANTDATA", ""),
        description=params.get("DS_MERCHANT_PRODUCTDESCRIPTION") or None,
        merchant_name=params.get("DS_MERCHANT_MERCHANTNAME") or None,
        parameters_b64=form["Ds_MerchantParameters"],
        language=consumer_language(params),
    )


def consumer_language(params: Mapping[str, str]) -> str:
    """The language the merchant asks the bank's pages to speak (upper-cased parameter names)."""
    code = params.get("DS_MERCHANT_CONSUMERLANGUAGE", "")
    return "es" if code.isascii() and code.lstrip("0") == SPANISH else "en"


def language_of(form: Mapping[str, str]) -> str:
    """The language a (possibly bad) request asks for: it is refused in that language."""
    return consumer_language(_unverified(form))


def _unverified(form: Mapping[str, str]) -> dict[str, str]:
    """The parameters of a (possibly bad) request, names upper-cased, unchecked; never raises."""
    try:
        params = decode_parameters(form.get("Ds_MerchantParameters", ""))
    except RedsysError:
        return {}
    return {name.upper(): value for name, value in params.items()}


def order_of(form: Mapping[str, str]) -> str | None:
    """The order id of a (possibly bad) request, for the log."""
    order = _unverified(form).get("DS_MERCHANT_ORDER")
    return order[:12] if order else None


@dataclass
class Operation:
    """One payment on the bank's pages. Holds the masked card number, never card data."""

    id: str
    request: PaymentOrder
    created: float
    state: State = State.CARD
    card_masked: str | None = None
    card_brand: str | None = None
    authorise_after_challenge: bool = False
    challenge_attempts_left: int = CHALLENGE_ATTEMPTS
    response: str | None = None
    authorisation_code: str = ""
    secure_payment: bool = False
    finished_at: float | None = None
    notification: dict[str, str] = field(default_factory=dict)

    @property
    def authorised(self) -> bool:
        return self.response is not None and 0 <= int(self.response) <= 99

    @property
    def cancelled(self) -> bool:
        return self.response == CANCELLED

    @property
    def return_url(self) -> str:
        return self.request.url_ok if self.authorised else self.request.url_ko


class OperationStore:
    """The open and finished operations of this process (see the module docstring for why in memory)."""

    def __init__(self, lifetime: float = OPERATION_LIFETIME, capacity: int = MAX_OPERATIONS) -> None:
        self.lifetime = lifetime
        self.capacity = capacity
        self._operations: dict[str, Operation] = {}
        self._by_order: dict[tuple[str, str, str], str] = {}

    def _expire(self, now: float) -> None:
        # Insertion order is creation order: stop at the first live one.
        while self._operations:
            oldest = next(iter(self._operations.values()))
            if now - oldest.created < self.lifetime and len(self._operations) <= self.capacity:
                break
            self._drop(oldest)

    def _drop(self, operation: Operation) -> None:
        del self._operations[operation.id]
        key = self._key(operation.request)
        if self._by_order.get(key) == operation.id:
            del self._by_order[key]

    @staticmethod
    def _key(request: PaymentOrder) -> tuple[str, str, str]:
        return (request.merchant_code, request.terminal, request.order)

    def open(self, request: PaymentOrder) -> Operation:
        """A new operation for the request; the open one again when the same form is posted twice
        (a double click, two tabs: one payment).

        Like Redsys, an order id that was already authorised is refused (SIS0051). More lenient than
        Redsys: after a denial or a cancellation the merchant may send the same order again, and a
        different request for an order still open replaces the open operation (whose pages then say
        "not found"), so nothing can be paid under an order's old details.
        """
        now = time.monotonic()
        self._expire(now)
        earlier_id = self._by_order.get(self._key(request))
        earlier = self._operations.get(earlier_id) if earlier_id else None
        if earlier is not None:
            if earlier.authorised:
                raise RequestRefused(_("This order number was already paid."), "SIS0051")
            if earlier.state is not State.DONE:
                if earlier.request.parameters_b64 == request.parameters_b64:
                    return earlier
                self._drop(earlier)
        operation = Operation(id=secrets.token_urlsafe(24), request=request, created=now)
        self._operations[operation.id] = operation
        self._by_order[self._key(request)] = operation.id
        self._expire(now)
        return operation

    def get(self, operation_id: str) -> Operation | None:
        self._expire(time.monotonic())
        return self._operations.get(operation_id)

    def __len__(self) -> int:
        return len(self._operations)
