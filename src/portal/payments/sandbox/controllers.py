"""The sandbox bank's pages: the gateway's `realizarPago` address, the card form, the 3-D Secure challenge,
the result with its way back to the merchant. Each handler parses the form, calls one SandboxBank step,
and renders the page again (422 with messages) or redirects (303) to the page of the operation's state.
"""

from __future__ import annotations

import structlog
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from portal import i18n
from portal.payments.sandbox.bank import SandboxBank
from portal.payments.sandbox.cards import CardForm, card_form
from portal.payments.sandbox.operations import Operation, RequestRefused, State, language_of, order_of
from portal.web.forms import Form, field
from portal.web.pages import page, see_other

REQUEST_FIELDS = ("Ds_SignatureVersion", "Ds_MerchantParameters", "Ds_Signature")

log = structlog.get_logger("portal.sandbox")


def page_of(operation: Operation) -> str:
    """The address of the page the operation is at."""
    base = f"/sis/pay/{operation.id}"
    return {State.CARD: base, State.CHALLENGE: f"{base}/challenge", State.DONE: f"{base}/result"}[
        operation.state
    ]


def _operation(bank: SandboxBank, operation_id: str) -> Operation:
    operation = bank.get(operation_id)
    if operation is None:
        raise NotFoundException()
    i18n.choose(operation.request.language)  # its pages and messages speak the payer's language
    return operation


class SandboxBankController(Controller):
    path = "/sis"

    @post("/realizarPago", name="sandbox_start")
    async def start(self, data: Form, bank: NamedDependency[SandboxBank]) -> Template | Redirect:
        """The merchant's signed form, posted by the payer's browser from the merchant's site (no CSRF
        token can exist here: the signature is what proves the request)."""
        # A field sent twice arrives as a list: it counts as missing rather than one being picked.
        form = {name: data[name] for name in REQUEST_FIELDS if isinstance(data.get(name), str)}
        i18n.choose(language_of(form))  # refused, too, in the language asked for
        try:
            operation = bank.start(form)
        except RequestRefused as refused:
            log.warning("sandbox.request_refused", reason=refused.message, order=order_of(form))
            return page("sandbox/refused", status=400, message=refused.message, code=refused.code)
        return see_other(page_of(operation))

    @get("/pay/{operation_id:str}", name="sandbox_card")
    async def card(
        self, operation_id: FromPath[str], bank: NamedDependency[SandboxBank]
    ) -> Template | Redirect:
        operation = _operation(bank, operation_id)
        if operation.state is not State.CARD:
            return see_other(page_of(operation))
        return page("sandbox/card", operation=operation, values=CardForm())

    @post("/pay/{operation_id:str}", name="sandbox_card_post")
    async def card_post(
        self, operation_id: FromPath[str], data: Form, bank: NamedDependency[SandboxBank]
    ) -> Template | Redirect:
        operation = _operation(bank, operation_id)
        form = card_form(data)
        step = await bank.pay(operation, form)
        if step.errors:
            # Shown back as typed, except the security code, which is never sent back to the browser.
            values = CardForm(number=form.number, expiry=form.expiry, holder=form.holder)
            return page("sandbox/card", step.errors, operation=operation, values=values)
        return see_other(page_of(operation))

    @get("/pay/{operation_id:str}/challenge", name="sandbox_challenge")
    async def challenge(
        self, operation_id: FromPath[str], bank: NamedDependency[SandboxBank]
    ) -> Template | Redirect:
        operation = _operation(bank, operation_id)
        if operation.state is not State.CHALLENGE:
            return see_other(page_of(operation))
        return page("sandbox/challenge", operation=operation, code="")

    @post("/pay/{operation_id:str}/challenge", name="sandbox_challenge_post")
    async def challenge_post(
        self, operation_id: FromPath[str], data: Form, bank: NamedDependency[SandboxBank]
    ) -> Template | Redirect:
        operation = _operation(bank, operation_id)
        code = field(data, "code")
        step = await bank.challenge(operation, code)
        if step.errors:
            return page("sandbox/challenge", step.errors, operation=operation, code=code)
        return see_other(page_of(operation))

    @post("/pay/{operation_id:str}/cancel", name="sandbox_cancel")
    async def cancel(self, operation_id: FromPath[str], bank: NamedDependency[SandboxBank]) -> Redirect:
        operation = _operation(bank, operation_id)
        await bank.cancel(operation)
        return see_other(page_of(operation))

    @get("/pay/{operation_id:str}/result", name="sandbox_result")
    async def result(
        self, operation_id: FromPath[str], bank: NamedDependency[SandboxBank]
    ) -> Template | Redirect:
        operation = _operation(bank, operation_id)
        if operation.state is not State.DONE:
            return see_other(page_of(operation))
        return page("sandbox/result", operation=operation)
