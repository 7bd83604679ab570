"""Bill payment: "Paying your bill/Bill payment", "Pay now with CPR code", "Pay now with barcode", the
check page and "Start payment", the way to the bank, the return pages and receipts, and the gateway's
notification. Each handler parses, calls one service function and renders or redirects (303)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from saq import Queue

from portal import i18n
from portal.bills import services as bills
from portal.i18n import gettext as _
from portal.infra.storage import Storage
from portal.notifications.mailer import Mailer
from portal.payments import checkout, forms, lookup, notification, pdf, views
from portal.payments.views import PaymentView
from portal.settings import Settings
from portal.viewer import Viewer
from portal.web.files import FileAnswer, PreparingFile, serve_or_prepare
from portal.web.forms import Form, field
from portal.web.pages import fragment, page, see_other
from portal.web.params import parse_id
from portal.web.security import host_cookie_name
from portal.web.sessions import SessionStore, provide_optional_viewer

PAYER_COOKIE = "payer"
PAYER_COOKIE_LIFETIME = 7 * 24 * 3600  # a week: the receipt stays reachable from this browser


def payer_token(request: Request[Any, Any, Any], settings: Settings) -> str | None:
    token = request.cookies.get(host_cookie_name(settings, PAYER_COOKIE))
    return token if token and len(token) <= 100 else None


def payer_cookie(settings: Settings, token: str | None) -> Cookie:
    """This browser's payer cookie; with no token, the cookie removed (signing out: on a shared computer
    the next person must not open the payments and receipts made here)."""
    return Cookie(
        key=host_cookie_name(settings, PAYER_COOKIE),
        value=token or "",
        path="/",
        httponly=True,
        secure=settings.web.secure_cookies,
        samesite="lax",  # sent on the top-level return from the gateway (a GET navigation)
        max_age=PAYER_COOKIE_LIFETIME if token else 0,
    )


@dataclass(frozen=True)
class Payer:
    """Who is paying: the signed-in user, if any, and this browser's payer cookie, if any. Anyone may pay,
    so neither is required; what they may see of a payment depends on both."""

    viewer: Viewer | None
    token: str | None


async def provide_payer(
    request: Request[Any, Any, Any],
    settings: NamedDependency[Settings],
    sessions: NamedDependency[SessionStore],
) -> Payer:
    return Payer(await provide_optional_viewer(request, sessions), payer_token(request, settings))


def client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else ""


class PaymentsController(Controller):
    # Payment pages hold state that changes (pending → paid) and a masked card: never kept by caches
    # (the app's default, `cache_control` in app.py).
    dependencies = {"payer": Provide(provide_payer)}  # noqa: RUF012 (Litestar's own class attribute)

    @get("/pay", name="pay_bill")
    async def bill_payment(self, payer: NamedDependency[Payer]) -> Template:
        return page("pages/payments/bill_payment", viewer=payer.viewer)

    @get("/pay/code", name="pay_by_code")
    async def by_code(self, payer: NamedDependency[Payer]) -> Template:
        return page(
            "pages/payments/pay_by_code",
            viewer=payer.viewer,
            values=forms.CodeForm(),
        )

    @post("/pay/code", name="pay_by_code_post")
    async def by_code_post(
        self,
        request: Request[Any, Any, Any],
        data: Form,
        settings: NamedDependency[Settings],
        payer: NamedDependency[Payer],
    ) -> Template | Redirect:
        values = forms.read_code_form(data)
        code, errors = forms.check_code_form(values, settings.issuer)
        return await _find_and_check(request, settings, payer, code, errors, "pay_by_code", values=values)

    @get("/pay/barcode", name="pay_by_barcode")
    async def by_barcode(
        self,
        payer: NamedDependency[Payer],
        settings: NamedDependency[Settings],
        bill: FromQuery[str] = "",
    ) -> Template:
        """From a signed-in user's bill ("Online payment"), the number comes filled in."""
        viewer = payer.viewer
        barcode = ""
        bill_id = parse_id(bill)
        if viewer is not None and bill_id is not None:
            detail = await bills.get_bill(viewer, bill_id)
            # A credit bill has no code (nothing to pay): the form comes empty, as for an unknown bill.
            code = detail.payment_code(settings.issuer.code) if detail is not None else None
            if code is not None:
                barcode = code.barcode_digits
        return page("pages/payments/pay_by_barcode", viewer=viewer, barcode=barcode)

    @post("/pay/barcode", name="pay_by_barcode_post")
    async def by_barcode_post(
        self,
        request: Request[Any, Any, Any],
        data: Form,
        settings: NamedDependency[Settings],
        payer: NamedDependency[Payer],
    ) -> Template | Redirect:
        barcode = field(data, "barcode")
        code, errors = forms.check_barcode(barcode, settings.issuer)
        return await _find_and_check(
            request, settings, payer, code, errors, "pay_by_barcode", barcode=barcode
        )

    @get("/pay/{key:str}/check", name="pay_check")
    async def check(
        self,
        payer: NamedDependency[Payer],
        key: FromPath[str],
        settings: NamedDependency[Settings],
    ) -> Template:
        viewer = payer.viewer
        draft = await _draft(payer, key)
        if draft is None:
            return _draft_gone(viewer)
        target = await lookup.load_target(draft.kind, draft.target_id, settings)
        problem = lookup.state_problem(target)
        return page(
            "pages/payments/check",
            {"": problem} if problem else None,
            viewer=viewer,
            draft=draft,
            target=target,
            email=draft.email,
        )

    @post("/pay/{key:str}/check", name="pay_check_post")
    async def start(
        self,
        payer: NamedDependency[Payer],
        key: FromPath[str],
        data: Form,
        settings: NamedDependency[Settings],
    ) -> Template | Redirect:
        viewer = payer.viewer
        draft = await _draft(payer, key)
        if draft is None:
            return _draft_gone(viewer)
        email = field(data, "email")
        errors: forms.Errors = {}
        if problem := forms.check_email(email, required=viewer is not None):
            errors["email"] = problem
        order = None
        token = payer.token or ""
        if not errors:
            order, errors = await checkout.start_payment(draft, email, token, viewer, settings)
        if order is None:
            target = await lookup.load_target(draft.kind, draft.target_id, settings)
            return page(
                "pages/payments/check", errors, viewer=viewer, draft=draft, target=target, email=email
            )
        return see_other(f"/payments/{order}/bank")

    @get("/payments/{order:str}/bank", name="payment_bank")
    async def bank(
        self,
        payer: NamedDependency[Payer],
        order: FromPath[str],
        settings: NamedDependency[Settings],
    ) -> Template | Redirect:
        """The signed form to the gateway; the payer presses "Go to the bank to pay" (no inline script).
        Others who may see the payment (users of its account) are shown how it stands instead: paying it is
        its payer's, who may be at the bank with it."""
        viewer = payer.viewer
        payment = await _payment(payer, order)
        if payment.final or not payment.is_payer:
            return see_other(f"/payments/{order}")
        problem = await checkout.payable_problem(payment, settings)
        return page(
            "pages/payments/bank",
            {"": problem} if problem else None,
            viewer=viewer,
            payment=payment,
            gateway_url=settings.gateway.url,
            fields=checkout.gateway_form(payment, settings),
        )

    @get("/payments/{order:str}", name="payment")
    async def result(
        self,
        payer: NamedDependency[Payer],
        order: FromPath[str],
        settings: NamedDependency[Settings],
    ) -> Template:
        """Where the gateway sends the browser back (OK or KO alike): it shows, never decides, the state."""
        viewer = payer.viewer
        payment = await _payment(payer, order)
        return page("pages/payments/result", viewer=viewer, payment=payment)

    @get("/payments/{order:str}/status", name="payment_status")
    async def status(
        self,
        payer: NamedDependency[Payer],
        order: FromPath[str],
        settings: NamedDependency[Settings],
    ) -> Template:
        """The polled fragment; 286 stops htmx polling once the bank has answered."""
        viewer = payer.viewer
        payment = await _payment(payer, order)
        return fragment(
            "partials/payments/result",
            payment=payment,
            viewer=viewer,
            announce=payment.final,
            status=286 if payment.final else 200,
        )

    @get("/payments/{order:str}/receipt.pdf", name="payment_receipt_pdf")
    async def receipt_pdf(
        self,
        payer: NamedDependency[Payer],
        order: FromPath[str],
        settings: NamedDependency[Settings],
        storage: NamedDependency[Storage],
        queue: NamedDependency[Queue],
    ) -> FileAnswer:
        viewer = payer.viewer
        payment = await _paid(payer, order)
        ready = await pdf.ensure(payment, storage, queue, i18n.current())
        return await serve_or_prepare(_receipt_file(order), ready, storage, viewer=viewer)

    @get("/payments/{order:str}/receipt/status", name="payment_receipt_status")
    async def receipt_status(
        self,
        payer: NamedDependency[Payer],
        order: FromPath[str],
        settings: NamedDependency[Settings],
        storage: NamedDependency[Storage],
        queue: NamedDependency[Queue],
    ) -> FileAnswer:
        payment = await _paid(payer, order)
        ready = await pdf.ensure(payment, storage, queue, i18n.current())
        return await serve_or_prepare(_receipt_file(order), ready, storage, polled=True)

    @post("/payments/notification", name="payment_notification", status_code=200)
    async def notification(self, data: Form, mailer: NamedDependency[Mailer]) -> Response[str]:
        """The gateway's server-to-server notification (no session, no CSRF token: its signature is the
        proof). Always 200, as Redsys expects: what became of it is logged and stored, not sent back."""
        form = {
            name: field(data, name)
            for name in ("Ds_SignatureVersion", "Ds_MerchantParameters", "Ds_Signature")
        }
        await notification.handle_notification(form, mailer)
        return Response("OK", media_type="text/plain", status_code=200)


def _receipt_file(order: str) -> PreparingFile:
    return PreparingFile(
        label=_("the receipt of order %(order)s") % {"order": order},
        href=f"/payments/{order}/receipt.pdf",
        status_href=f"/payments/{order}/receipt/status",
        back_href=f"/payments/{order}",
        key=pdf.key(order, i18n.current()),
        filename=f"receipt-{order}.pdf",
    )


async def _find_and_check(
    request: Request[Any, Any, Any],
    settings: Settings,
    payer: Payer,
    code: forms.Code | None,
    errors: forms.Errors,
    form_template: str,
    **typed: Any,
) -> Template | Redirect:
    """The bill or document a valid payment code points to (looked up rate-limited by client IP) → its
    check page; otherwise the form again with the message and what was typed."""
    viewer = payer.viewer
    target = None
    if code is not None:
        target, errors = await lookup.find_target(code, settings, client_ip(request), viewer)
    if target is None:
        return page(f"pages/payments/{form_template}", errors, viewer=viewer, **typed)
    return await _to_check(payer, settings, target)


async def _to_check(payer: Payer, settings: Settings, target: lookup.Target) -> Redirect:
    token = payer.token
    cookies = []
    if token is None:
        token = checkout.new_browser_token()
        cookies.append(payer_cookie(settings, token))
    key = await checkout.create_draft(target, token, payer.viewer)
    return see_other(f"/pay/{key}/check", cookies)


async def _draft(payer: Payer, key: str) -> checkout.Draft | None:
    return await checkout.get_draft(key, payer.token, payer.viewer)


def _draft_gone(viewer: Viewer | None) -> Template:
    """Not "Page not found" (which asks to check a typed address) to a payer who pressed "Start payment"
    on a page left open past its time: what happened, and the way to pay."""
    return page("pages/payments/draft_gone", viewer=viewer, status=404)


async def _payment(payer: Payer, order: str) -> PaymentView:
    payment = await views.payment_for(order, payer.token, payer.viewer)
    if payment is None:
        raise NotFoundException()
    return payment


async def _paid(payer: Payer, order: str) -> PaymentView:
    """A paid payment whose receipt (PDF) the asker may have: it names the payer and the card."""
    payment = await _payment(payer, order)
    if payment.state != "authorised" or not payment.is_payer:
        raise NotFoundException()
    return payment
