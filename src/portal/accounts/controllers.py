"""Sign in, register, activate and passwords. Each handler parses the form, calls one
service function, and renders the page again (422 with messages) or redirects (303)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from portal import i18n
from portal.accounts import forms, links, resends, services, signing_in
from portal.accounts.forms import REGISTRATION_KINDS
from portal.accounts.services import Draft
from portal.audit import Origin
from portal.db.tables.auth import TokenPurpose
from portal.notifications.mailer import Mailer
from portal.payments.controllers import payer_cookie
from portal.settings import Settings
from portal.viewer import Viewer
from portal.web.forms import Form, field, local_path, password_field
from portal.web.language import chosen_cookie, chosen_language, language_cookie
from portal.web.pages import page, see_other
from portal.web.sessions import SessionStore

DRAFT_COOKIE = "registration"


def draft_cookie(settings: Settings, token: str, *, clear: bool = False) -> Cookie:
    return Cookie(
        key=DRAFT_COOKIE,
        value="" if clear else token,
        path="/register",
        httponly=True,
        secure=settings.web.secure_cookies,
        samesite="lax",
        max_age=0 if clear else int(services.DRAFT_LIFETIME.total_seconds()),
    )


def origin_of(request: Request[Any, Any, Any]) -> Origin:
    client = request.client.host if request.client else ""
    return Origin(ip=client, request_id=str(request.scope.get("state", {}).get("request_id", "")))


class SignInController(Controller):
    @get("/sign-in", name="sign_in")
    async def sign_in_page(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[SessionStore],
        next: FromQuery[str] = "",
    ) -> Template | Redirect:
        if await sessions.load(sessions.token_from(request)):
            return see_other(local_path(next) or "/account")
        return page(
            "pages/accounts/sign_in",
            values={"username": ""},
            next=local_path(next) or "",
            kinds=REGISTRATION_KINDS,
        )

    @post("/sign-in", name="sign_in_post")
    async def sign_in(
        self,
        request: Request[Any, Any, Any],
        data: Form,
        sessions: NamedDependency[SessionStore],
        settings: NamedDependency[Settings],
    ) -> Template | Redirect:
        login = field(data, "username")
        target = local_path(field(data, "next")) or "/account"
        chosen = chosen_language(request, settings)
        token, outcome = await signing_in.sign_in(
            login,
            password_field(data, "password"),
            sessions,
            origin_of(request),
            sessions.token_from(request),
            chosen,
        )
        if token is None:
            return page(
                "pages/accounts/sign_in",
                outcome.errors,
                values={"username": login},
                next=local_path(target) or "",
                kinds=REGISTRATION_KINDS,
            )
        return see_other(target, await signed_in_cookies(token, chosen, sessions, settings))

    @post("/sign-out", name="sign_out")
    async def sign_out(
        self,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[Viewer],
        sessions: NamedDependency[SessionStore],
        settings: NamedDependency[Settings],
    ) -> Redirect:
        token = sessions.token_from(request)
        assert token is not None
        await signing_in.sign_out(viewer, token, sessions, origin_of(request))
        # The browser forgets every page it kept of the session (a shared computer's Back button), and
        # the payments made from it (Clear-Site-Data does that too, in the browsers that take it).
        # It also forgets the language cookie (a cookie set by this answer too): the next page is told the
        # language, so that the switcher's choice outlives the session.
        return Redirect(
            f"/signed-out?language={i18n.current()}",
            status_code=303,
            cookies=[sessions.cleared_cookie(), payer_cookie(settings, None)],
            headers={"clear-site-data": '"cache", "cookies"'},
        )

    @get("/signed-out", name="signed_out")
    async def signed_out(
        self, settings: NamedDependency[Settings], language: FromQuery[str] = ""
    ) -> Template:
        """ "You have signed out", in the language the session was in, which the browser remembers again."""
        spoken = i18n.supported(language)
        if spoken is None:
            return page("pages/accounts/signed_out")
        i18n.choose(spoken)
        signed_out = page("pages/accounts/signed_out")
        signed_out.cookies.append(language_cookie(settings, spoken))
        return signed_out


async def signed_in_cookies(
    token: str, chosen: str | None, sessions: SessionStore, settings: Settings
) -> list[Cookie]:
    """The new session's cookie; the language cookie set to the user's language (now stored: signing in
    settles it), so that the pages which do not read the session follow it too; and the switcher's choice
    forgotten once stored."""
    cookies = [sessions.cookie(token)]
    viewer = await sessions.load(token)
    if viewer is not None and (language := i18n.supported(viewer.language)):
        cookies.append(language_cookie(settings, language))
    if chosen is not None:
        cookies.append(chosen_cookie(settings, None))
    return cookies


class RegistrationController(Controller):
    path = "/register"

    @staticmethod
    async def _draft(request: Request[Any, Any, Any]) -> Draft | None:
        return await services.get_draft(request.cookies.get(DRAFT_COOKIE))

    @get("/", name="register")
    async def choose_kind(
        self, request: Request[Any, Any, Any], expired: FromQuery[bool] = False
    ) -> Template:
        draft = await self._draft(request)
        kind = draft.kind if draft and not draft.completed else ""
        return page("pages/accounts/register_kind", kinds=REGISTRATION_KINDS, kind=kind, expired=expired)

    @post("/", name="register_post")
    async def choose_kind_post(
        self, request: Request[Any, Any, Any], data: Form, settings: NamedDependency[Settings]
    ) -> Template | Redirect:
        kind = field(data, "kind")
        draft = await self._draft(request)
        if draft and not draft.completed:
            outcome = await services.change_kind(request.cookies.get(DRAFT_COOKIE), kind)
            cookies: list[Cookie] = []
        else:
            token, outcome = await services.start_registration(kind, origin_of(request))
            cookies = [draft_cookie(settings, token)] if outcome.ok else []
        if not outcome.ok:
            return page(
                "pages/accounts/register_kind",
                outcome.errors,
                kinds=REGISTRATION_KINDS,
                kind=kind,
                expired=False,
            )
        return see_other("/register/bill-details", cookies)

    @get("/bill-details", name="register_bill")
    async def bill_details(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        draft = await self._draft(request)
        if redirect := _step_redirect(draft, "bill"):
            return redirect
        assert draft is not None
        return page("pages/accounts/register_bill", kind=draft.kind, values=draft.bill)

    @post("/bill-details", name="register_bill_post")
    async def bill_details_post(
        self, request: Request[Any, Any, Any], data: Form, settings: NamedDependency[Settings]
    ) -> Template | Redirect:
        draft = await self._draft(request)
        if redirect := _step_redirect(draft, "bill"):
            return redirect
        assert draft is not None
        details = forms.bill_details(data)
        outcome = await services.save_bill_details(
            request.cookies.get(DRAFT_COOKIE),
            details,
            origin_of(request),
            settings.issuer.customer_service_phone,
        )
        if not outcome.ok:
            return page("pages/accounts/register_bill", outcome.errors, kind=draft.kind, values=details)
        return see_other("/register/check" if draft.username else "/register/user-details")

    @get("/user-details", name="register_user")
    async def user_details(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        draft = await self._draft(request)
        if redirect := _step_redirect(draft, "user"):
            return redirect
        assert draft is not None
        return page("pages/accounts/register_user", values=draft)

    @post("/user-details", name="register_user_post")
    async def user_details_post(self, request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
        draft = await self._draft(request)
        if redirect := _step_redirect(draft, "user"):
            return redirect
        values = {
            "username": field(data, "username"),
            "email": field(data, "email"),
            "online_bill": forms.checkbox(data, "online_bill"),
            "privacy_accepted": forms.checkbox(data, "privacy"),
        }
        outcome = await services.save_user_details(
            request.cookies.get(DRAFT_COOKIE),
            username=str(values["username"]),
            email=str(values["email"]),
            online_bill=bool(values["online_bill"]),
            privacy_accepted=bool(values["privacy_accepted"]),
            origin=origin_of(request),
        )
        if not outcome.ok:
            return page("pages/accounts/register_user", outcome.errors, values=values)
        return see_other("/register/check")

    @get("/check", name="register_check")
    async def check(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        draft = await self._draft(request)
        if redirect := _step_redirect(draft, "check"):
            return redirect
        return page("pages/accounts/register_check", draft=draft, kinds=REGISTRATION_KINDS)

    @post("/check", name="register_check_post")
    async def check_post(
        self,
        request: Request[Any, Any, Any],
        mailer: NamedDependency[Mailer],
        settings: NamedDependency[Settings],
    ) -> Template | Redirect:
        draft = await self._draft(request)
        if draft is not None and draft.completed:
            return see_other("/register/email-sent")  # a second submit: the email was sent once
        if redirect := _step_redirect(draft, "check"):
            return redirect
        outcome = await services.complete_registration(
            request.cookies.get(DRAFT_COOKIE),
            mailer,
            origin_of(request),
            settings.issuer.customer_service_phone,
        )
        if not outcome.ok:
            draft = await self._draft(request)
            if draft is not None and not draft.verified:
                # The bill stopped proving the account since its check: its question again, with why.
                return page(
                    "pages/accounts/register_bill", outcome.errors, kind=draft.kind, values=draft.bill
                )
            return page(
                "pages/accounts/register_check",
                outcome.errors,
                draft=await self._draft(request),
                kinds=REGISTRATION_KINDS,
            )
        return see_other("/register/email-sent")

    @get("/email-sent", name="register_sent")
    async def email_sent(
        self, request: Request[Any, Any, Any], resent: FromQuery[bool] = False
    ) -> Template | Redirect:
        draft = await self._draft(request)
        if draft is None or not draft.completed:
            return see_other("/register")
        return page("pages/accounts/register_sent", email=draft.email, resent=resent)

    @post("/resend", name="register_resend")
    async def resend(
        self, request: Request[Any, Any, Any], mailer: NamedDependency[Mailer]
    ) -> Template | Redirect:
        draft = await self._draft(request)
        if draft is None or not draft.completed:
            return see_other("/register")
        outcome = await resends.resend_registration_email(draft, mailer, origin_of(request))
        if not outcome.ok:
            return page("pages/accounts/register_sent", outcome.errors, email=draft.email, resent=False)
        return see_other("/register/email-sent?resent=true")


def _step_redirect(draft: Draft | None, step: str) -> Redirect | None:
    """Where to send someone who reaches a step out of order: back to the first unanswered question, or
    to the email page once the registration is complete (the back button after completion)."""
    if draft is None:
        return see_other("/register?expired=true")
    if draft.completed:
        return see_other("/register/email-sent")
    if step in {"user", "check"} and not draft.verified:
        return see_other("/register/bill-details")
    if step == "check" and not (draft.username and draft.email and draft.privacy_accepted):
        return see_other("/register/user-details")
    return None


class PasswordController(Controller):
    """Links from emails: activate (create a login password) and reset a forgotten password."""

    @get("/activate", name="activate")
    async def activate(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[SessionStore],
        token: FromQuery[str] = "",
    ) -> Template:
        return await _set_password_page(request, sessions, token, TokenPurpose.activation)

    @post("/activate", name="activate_post")
    async def activate_post(
        self,
        request: Request[Any, Any, Any],
        data: Form,
        sessions: NamedDependency[SessionStore],
        settings: NamedDependency[Settings],
        mailer: NamedDependency[Mailer],
    ) -> Template | Redirect:
        return await _set_password(request, data, sessions, settings, mailer, TokenPurpose.activation)

    @post("/activate/resend", name="activate_resend")
    async def activate_resend(
        self, request: Request[Any, Any, Any], data: Form, mailer: NamedDependency[Mailer]
    ) -> Template:
        token = field(data, "token")
        outcome = await links.resend_expired_activation(token, mailer, origin_of(request))
        return page("pages/accounts/activation_resent", outcome.errors)

    @get("/password/forgotten", name="password_forgotten")
    async def forgotten(self) -> Template:
        return page("pages/accounts/password_forgotten", values={"login": ""})

    @post("/password/forgotten", name="password_forgotten_post")
    async def forgotten_post(
        self, request: Request[Any, Any, Any], data: Form, mailer: NamedDependency[Mailer]
    ) -> Template | Redirect:
        login = field(data, "login")
        outcome, send = await signing_in.request_password_reset(login, mailer, origin_of(request))
        if send is None:
            return page("pages/accounts/password_forgotten", outcome.errors, values={"login": login})
        # Run by the server once the answer is sent, while the browser already follows it.
        return see_other("/password/forgotten/sent", background=BackgroundTask(send))

    @get("/password/forgotten/sent", name="password_forgotten_sent")
    async def forgotten_sent(self) -> Template:
        return page("pages/accounts/password_forgotten_sent")

    @get("/password/reset", name="password_reset")
    async def reset(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[SessionStore],
        token: FromQuery[str] = "",
    ) -> Template:
        return await _set_password_page(request, sessions, token, TokenPurpose.password_reset)

    @post("/password/reset", name="password_reset_post")
    async def reset_post(
        self,
        request: Request[Any, Any, Any],
        data: Form,
        sessions: NamedDependency[SessionStore],
        settings: NamedDependency[Settings],
        mailer: NamedDependency[Mailer],
    ) -> Template | Redirect:
        return await _set_password(request, data, sessions, settings, mailer, TokenPurpose.password_reset)


async def _set_password_page(
    request: Request[Any, Any, Any],
    sessions: SessionStore,
    token: str,
    purpose: TokenPurpose,
    errors: forms.Errors | None = None,
) -> Template:
    """Where an activation or a password-reset link lands: the new password's form (again, with `errors`),
    or why the link fails. Someone signed in as another user is told that the new password signs them in
    as the link's user instead."""
    link = await links.link_state(token, purpose)
    viewer = await sessions.load(sessions.token_from(request))
    other = viewer.username if viewer is not None and viewer.username != link.username else ""
    return page(
        "pages/accounts/set_password",
        errors,
        purpose=purpose.value,
        token=token,
        link=link,
        signed_in_as=other,
    )


async def _set_password(
    request: Request[Any, Any, Any],
    data: Form,
    sessions: SessionStore,
    settings: Settings,
    mailer: Mailer,
    purpose: TokenPurpose,
) -> Template | Redirect:
    token = field(data, "token")
    chosen = chosen_language(request, settings)
    session, outcome = await links.set_password_with_link(
        token,
        purpose,
        password_field(data, "password"),
        sessions,
        origin_of(request),
        sessions.token_from(request),
        chosen,
        mailer,
    )
    if session is None:
        return await _set_password_page(request, sessions, token, purpose, outcome.errors)
    # The home page says what just happened (`done`): a new account's password set, or a forgotten one.
    return see_other(
        f"/account?done={purpose.value}", await signed_in_cookies(session, chosen, sessions, settings)
    )
