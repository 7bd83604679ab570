"""Bill payment: "Paying your bill/Bill payment", "Pay now with CPR code", "Pay now with barcode", the
check page and "Start payment", the way to the bank, the return pages and receipts, and the gateway's
notification. Each handler parses, calls one service function and renders or redirects (303)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import CacheControlHeader, Cookie
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import File, Redirect, Template
from saq import Queue

from portal.accounts.services import Mailer
from portal.banking.cuaderno57 import PaymentCode
from portal.bills import services as bills
from portal.infra.storage import Storage
from portal.payments import forms, services
from portal.payments.services import PaymentView
from portal.settings import Settings
from portal.web.files import PreparingFile, preparing_page, status_fragment, stored_pdf
from portal.web.forms import Form, field
from portal.web.sessions import SessionStore, Viewer

PAYER_COOKIE_LIFETIME = 7 * 24 * 3600  # a week: the receipt stays reachable from this browser


def payer_cookie_name(settings: Settings) -> str:
    return "__Host-payer" if settings.web.secure_cookies else "payer"


def payer_token(request: Request[Any, Any, Any], settings: Settings) -> str | None:
    token = request.cookies.get(payer_cookie_name(settings))
    return token if token and len(token) <= 100 else None


def payer_cookie(settings: Settings, token: str) -> Cookie:
    return Cookie(
        key=payer_cookie_name(settings),
        value=token,
        path="/",
        httponly=True,
        secure=settings.web.secure_cookies,
        samesite="lax",  # sent on the top-level return from the gateway (a GET navigation)
        max_age=PAYER_COOKIE_LIFETIME,
    )


async def optional_viewer(request: Request[Any, Any, Any], sessions: SessionStore) -> Viewer | None:
    return await sessions.load(sessions.token_from(request))


def client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else ""


def page(
    template: str, viewer: Viewer | None, errors: forms.Errors | None = None, **context: Any
) -> Template:
    return Template(
        template_name=f"pages/payments/{template}.html",
        context={"viewer": viewer, "errors": errors or {}, **context},
        status_code=422 if errors else 200,
    )


def see_other(path: str, cookies: list[Cookie] | None = None) -> Redirect:
    return Redirect(path, status_code=303, cookies=cookies or [])


class PaymentsController(Controller):
    # Payment pages hold state that changes (pending → paid) and a masked card: never kept by caches.
    cache_control = CacheControlHeader(no_store=True)

    @get("/pay", name="pay_bill", cache=False)
    async def bill_payment(
        self, request: Request[Any, Any, Any], sessions: NamedDependency[SessionStore]
    ) -> Template:
        return page("bill_payment", await optional_viewer(request, sessions))

    @get("/pay/code", name="pay_by_code", cache=False)
    async def by_code(
        self, request: Request[Any, Any, Any], sessions: NamedDependency[SessionStore]
    ) -> Template:
        return page("pay_by_code", await optional_viewer(request, sessions), values=forms.CodeForm())

    @post("/pay/code", name="pay_by_code_post")
    async def by_code_post(
        self,
        request: Request[Any, Any, Any],
        data: Form,
        settings: NamedDependency[Settings],
        sessions: NamedDependency[SessionStore],
    ) -> Template | Redirect:
        values = forms.read_code_form(data)
        code, errors = forms.check_code_form(values, settings.issuer)
        return await _find_and_check(request, settings, sessions, code, errors, "pay_by_code", values=values)

    @get("/pay/barcode", name="pay_by_barcode", cache=False)
    async def by_barcode(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[SessionStore],
        settings: NamedDependency[Settings],
        bill: FromQuery[int | None] = None,
    ) -> Template:
        """From a signed-in user's bill ("Online payment"), the number comes filled in."""
        viewer = await optional_viewer(request, sessions)
        barcode = ""
        if viewer is not None and bill is not None:
            detail = await bills.get_bill(viewer, bill)
            if detail is not None:
                barcode = PaymentCode(
                    settings.issuer.code,
                    detail.payment_suffix,
                    detail.payment_reference,
                    detail.payment_identification,
                    detail.row.total_cents,
                ).barcode_digits
        return page("pay_by_barcode", viewer, barcode=barcode)

    @post("/pay/barcode", name="pay_by_barcode_post")
    async def by_barcode_post(
        self,
        request: Request[Any, Any, Any],
        data: Form,
        settings: NamedDependency[Settings],
        sessions: NamedDependency[SessionStore],
    ) -> Template | Redirect:
        barcode = field(data, "barcode")
        code, errors = forms.check_barcode(barcode, settings.issuer)
        return await _find_and_check(
            request, settings, sessions, code, errors, "pay_by_barcode", barcode=barcode
        )

    @get("/pay/{key:str}/check", name="pay_check", cache=False)
    async def check(
        self,
        request: Request[Any, Any, Any],
        key: FromPath[str],
        settings: NamedDependency[Settings],
        sessions: NamedDependency[SessionStore],
    ) -> Template:
        viewer = await optional_viewer(request, sessions)
        draft = await _draft(request, settings, viewer, key)
        target = await services.load_target(draft.kind, draft.target_id, settings)
        problem = services.state_problem(target)
        return page(
            "check", viewer, {"": problem} if problem else None, draft=draft, target=target, email=draft.email
        )

    @post("/pay/{key:str}/check", name="pay_check_post")
    async def start(
        self,
        request: Request[Any, Any, Any],
        key: FromPath[str],
        data: Form,
        settings: NamedDependency[Settings],
        sessions: NamedDependency[SessionStore],
    ) -> Template | Redirect:
        viewer = await optional_viewer(request, sessions)
        draft = await _draft(request, settings, viewer, key)
        email = field(data, "email")
        errors: forms.Errors = {}
        if problem := forms.check_email(email, required=viewer is not None):
            errors["email"] = problem
        order = None
        token = payer_token(request, settings) or ""
        if not errors:
            order, errors = await services.start_payment(draft, email, token, viewer, settings)
        if order is None:
            target = await services.load_target(draft.kind, draft.target_id, settings)
            return page("check", viewer, errors, draft=draft, target=target, email=email)
        return see_other(f"/payments/{order}/bank")

    @get("/payments/{order:str}/bank", name="payment_bank", cache=False)
    async def bank(
        self,
        request: Request[Any, Any, Any],
        order: FromPath[str],
        settings: NamedDependency[Settings],
        sessions: NamedDependency[SessionStore],
    ) -> Template | Redirect:
        """The signed form to the gateway; the payer presses "Go to the bank to pay" (no inline script)."""
        viewer = await optional_viewer(request, sessions)
        payment = await _payment(request, settings, viewer, order)
        if payment.final:
            return see_other(f"/payments/{order}")
        problem = await services.payable_problem(payment, settings)
        return page(
            "bank",
            viewer,
            {"": problem} if problem else None,
            payment=payment,
            gateway_url=settings.gateway.url,
            fields=services.gateway_form(payment, settings),
        )

    @get("/payments/{order:str}", name="payment", cache=False)
    async def result(
        self,
        request: Request[Any, Any, Any],
        order: FromPath[str],
        settings: NamedDependency[Settings],
        sessions: NamedDependency[SessionStore],
    ) -> Template:
        """Where the gateway sends the browser back (OK or KO alike): it shows, never decides, the state."""
        viewer = await optional_viewer(request, sessions)
        payment = await _payment(request, settings, viewer, order)
        return page("result", viewer, payment=payment)

    @get("/payments/{order:str}/status", name="payment_status", cache=False)
    async def status(
        self,
        request: Request[Any, Any, Any],
        order: FromPath[str],
        settings: NamedDependency[Settings],
        sessions: NamedDependency[SessionStore],
    ) -> Template:
        """The polled fragment; 286 stops htmx polling once the bank has answered."""
        viewer = await optional_viewer(request, sessions)
        payment = await _payment(request, settings, viewer, order)
        return Template(
            template_name="partials/payments/result.html",
            context={"payment": payment, "viewer": viewer, "announce": payment.final},
            status_code=286 if payment.final else 200,
        )

    @get("/payments/{order:str}/receipt.pdf", name="payment_receipt_pdf", cache=False)
    async def receipt_pdf(
        self,
        request: Request[Any, Any, Any],
        order: FromPath[str],
        settings: NamedDependency[Settings],
        sessions: NamedDependency[SessionStore],
        storage: NamedDependency[Storage],
        queue: NamedDependency[Queue],
    ) -> File | Template:
        viewer = await optional_viewer(request, sessions)
        payment = await _paid(request, settings, viewer, order)
        if await services.request_receipt_pdf(payment, storage, queue):
            return stored_pdf(storage, services.receipt_key(order), f"receipt-{order}.pdf")
        return preparing_page(_receipt_file(order), viewer=viewer)

    @get("/payments/{order:str}/receipt/status", name="payment_receipt_status", cache=False)
    async def receipt_status(
        self,
        request: Request[Any, Any, Any],
        order: FromPath[str],
        settings: NamedDependency[Settings],
        sessions: NamedDependency[SessionStore],
        storage: NamedDependency[Storage],
        queue: NamedDependency[Queue],
    ) -> Template:
        viewer = await optional_viewer(request, sessions)
        payment = await _paid(request, settings, viewer, order)
        return status_fragment(
            _receipt_file(order), await services.request_receipt_pdf(payment, storage, queue)
        )

    @post("/payments/notification", name="payment_notification", status_code=200)
    async def notification(
        self, data: Form, settings: NamedDependency[Settings], mailer: NamedDependency[Mailer]
    ) -> Response[str]:
        """The gateway's server-to-server notification (no session, no CSRF token: its signature is the
        proof). Always 200, as Redsys expects: what became of it is logged and stored, not sent back."""
        form = {
            name: field(data, name)
            for name in ("Ds_SignatureVersion", "Ds_MerchantParameters", "Ds_Signature")
        }
        await services.handle_notification(form, settings, services.Receipts(mailer.env, mailer.queue))
        return Response("OK", media_type="text/plain", status_code=200)


def _receipt_file(order: str) -> PreparingFile:
    return PreparingFile(
        label=f"the receipt of order {order}",
        href=f"/payments/{order}/receipt.pdf",
        status_href=f"/payments/{order}/receipt/status",
        back_href=f"/payments/{order}",
    )


async def _find_and_check(
    request: Request[Any, Any, Any],
    settings: Settings,
    sessions: SessionStore,
    code: forms.TypedCode | None,
    errors: forms.Errors,
    form_template: str,
    **typed: Any,
) -> Template | Redirect:
    """The bill or document a valid payment code points to (looked up rate-limited by client IP) → its
    check page; otherwise the form again with the message and what was typed."""
    viewer = await optional_viewer(request, sessions)
    target = None
    if code is not None:
        target, errors = await services.find_target(code, settings, client_ip(request))
    if target is None:
        return page(form_template, viewer, errors, **typed)
    return await _to_check(request, settings, target, viewer)


async def _to_check(
    request: Request[Any, Any, Any], settings: Settings, target: services.Target, viewer: Viewer | None
) -> Redirect:
    token = payer_token(request, settings)
    cookies = []
    if token is None:
        token = services.new_browser_token()
        cookies.append(payer_cookie(settings, token))
    key = await services.create_draft(target, token, viewer)
    return see_other(f"/pay/{key}/check", cookies)


async def _draft(
    request: Request[Any, Any, Any], settings: Settings, viewer: Viewer | None, key: str
) -> services.Draft:
    draft = await services.get_draft(key, payer_token(request, settings), viewer)
    if draft is None:
        raise NotFoundException()
    return draft


async def _payment(
    request: Request[Any, Any, Any], settings: Settings, viewer: Viewer | None, order: str
) -> PaymentView:
    payment = await services.payment_for(order, payer_token(request, settings), viewer)
    if payment is None:
        raise NotFoundException()
    return payment


async def _paid(
    request: Request[Any, Any, Any], settings: Settings, viewer: Viewer | None, order: str
) -> PaymentView:
    payment = await _payment(request, settings, viewer, order)
    if payment.state != "authorised":
        raise NotFoundException()
    return payment
