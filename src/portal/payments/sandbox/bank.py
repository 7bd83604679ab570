"""What the sandbox bank does, step by step: take a signed request, take a card, challenge, finish.

Each step checks the operation's state first and changes it before anything awaits, so a double click,
a second tab or a replayed form finds the operation already moved on and cannot finish it twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import structlog

from portal import clock
from portal.i18n import gettext as _
from portal.i18n import ngettext
from portal.payments.sandbox.cards import Card, CardForm, Errors, check_card
from portal.payments.sandbox.notifier import MADRID, Notifier, authorisation_code
from portal.payments.sandbox.operations import (
    AUTHENTICATION_FAILED,
    AUTHORISED,
    CANCELLED,
    CHALLENGE_CODE,
    DECLINED,
    Operation,
    OperationStore,
    State,
    read_request,
)
from portal.settings import GatewaySettings

log = structlog.get_logger("portal.sandbox")


@dataclass(frozen=True)
class Step:
    """The outcome of a step: errors to show on the same page, or nothing (go to the state's page)."""

    errors: Errors


class SandboxBank:
    def __init__(self, gateway: GatewaySettings, store: OperationStore, notifier: Notifier) -> None:
        self.gateway = gateway
        self.store = store
        self.notifier = notifier

    def start(self, form: Mapping[str, str]) -> Operation:
        """Verify the merchant's signed request and open (or find) its operation. Raises RequestRefused."""
        request = read_request(self.gateway.secret, self.gateway.merchant_code, self.gateway.terminal, form)
        operation = self.store.open(request)
        log.info("sandbox.payment_started", order=request.order, amount=request.amount_cents)
        return operation

    def get(self, operation_id: str) -> Operation | None:
        return self.store.get(operation_id)

    @staticmethod
    def today() -> date:
        # A Spanish bank: its day is Madrid's, whatever the customers' time zone.
        return clock.now().astimezone(MADRID).date()

    async def pay(self, operation: Operation, form: CardForm) -> Step:
        """The card form's "Accept": check the card, then challenge it or finish."""
        if operation.state is not State.CARD:
            return Step({})
        card, errors = check_card(form, self.today())
        if card is None:
            return Step(errors)
        self._keep(operation, card)
        if card.behaviour.challenge:
            operation.state = State.CHALLENGE
            operation.authorise_after_challenge = card.behaviour.authorise
            return Step({})
        await self._finish(operation, AUTHORISED if card.behaviour.authorise else DECLINED)
        return Step({})

    @staticmethod
    def _keep(operation: Operation, card: Card) -> None:
        # The masked number and the brand are all the sandbox keeps of a card.
        operation.card_masked = card.masked
        operation.card_brand = card.brand

    async def challenge(self, operation: Operation, code: str) -> Step:
        """The 3-D Secure page's "Confirm": the right code goes on, three wrong ones deny the payment."""
        if operation.state is not State.CHALLENGE:
            return Step({})
        typed = "".join(code.split())
        if not typed:
            return Step({"code": _("Enter the confirmation code")})
        if not (typed.isascii() and typed.isdigit() and len(typed) == 6):
            return Step({"code": _("The confirmation code must be 6 digits")})
        if typed != CHALLENGE_CODE:
            operation.challenge_attempts_left -= 1
            left = operation.challenge_attempts_left
            if left <= 0:
                await self._finish(operation, AUTHENTICATION_FAILED)
                return Step({})
            message = ngettext(
                "The confirmation code is not correct. You have %(num)d attempt left",
                "The confirmation code is not correct. You have %(num)d attempts left",
                left,
            )
            return Step({"code": message % {"num": left}})
        operation.secure_payment = True
        await self._finish(operation, AUTHORISED if operation.authorise_after_challenge else DECLINED)
        return Step({})

    async def cancel(self, operation: Operation) -> None:
        """The "Cancel" button: a denial notification, then the way back to the merchant."""
        if operation.state is State.DONE:
            return
        await self._finish(operation, CANCELLED)

    async def _finish(self, operation: Operation, response: str) -> None:
        operation.state = State.DONE  # first, before any await: nothing can finish it a second time
        operation.response = response
        operation.authorisation_code = authorisation_code() if response == AUTHORISED else ""
        now = clock.now()
        operation.finished_at = now.timestamp()
        operation.notification = self.notifier.sign(operation, now)
        log.info("sandbox.payment_finished", order=operation.request.order, response=response)
        await self.notifier.send(operation)
