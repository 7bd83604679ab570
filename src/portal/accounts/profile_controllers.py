"""Personal details under "Manage your account": change the email address, change the password, online
bill. Each page: GET the form; POST → 422 with messages next to the fields, or 303 back to the page,
which then shows the confirmation notification."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from portal.accounts import profile_services as profile
from portal.accounts.controllers import origin_of
from portal.notifications.mailer import Mailer
from portal.viewer import Viewer
from portal.web.forms import Form, field, password_field
from portal.web.pages import page, see_other
from portal.web.sessions import SessionStore


class ProfileController(Controller):
    path = "/account"

    # --- email address ---

    @get("/email", name="profile_email")
    async def email(
        self, viewer: NamedDependency[Viewer], sent: FromQuery[bool] = False, changed: FromQuery[bool] = False
    ) -> Template:
        return page(
            "pages/accounts/profile_email", viewer=viewer, values={"email": ""}, sent=sent, changed=changed
        )

    @post("/email", name="profile_email_post")
    async def email_post(
        self,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[Viewer],
        mailer: NamedDependency[Mailer],
        data: Form,
    ) -> Template | Redirect:
        new_email = field(data, "email")
        outcome = await profile.request_email_change(
            viewer, new_email, password_field(data, "current_password"), mailer, origin_of(request)
        )
        if not outcome.ok:
            return page(
                "pages/accounts/profile_email",
                outcome.errors,
                viewer=viewer,
                values={"email": new_email},
                sent=False,
                changed=False,
            )
        return see_other("/account/email?sent=true")

    @get("/email/confirm", name="profile_email_confirm")
    async def email_confirm(self, viewer: NamedDependency[Viewer], token: FromQuery[str] = "") -> Template:
        """Only the user who asked may confirm: signed out, the link goes through "Sign in" and back."""
        link = await profile.email_link(viewer, token)
        return page("pages/accounts/profile_email_confirm", viewer=viewer, token=token, link=link)

    @post("/email/confirm", name="profile_email_confirm_post")
    async def email_confirm_post(
        self, request: Request[Any, Any, Any], viewer: NamedDependency[Viewer], data: Form
    ) -> Template | Redirect:
        token = field(data, "token")
        _, outcome = await profile.confirm_email_change(viewer, token, origin_of(request))
        if not outcome.ok:
            link = await profile.email_link(viewer, token)
            return page(
                "pages/accounts/profile_email_confirm", outcome.errors, viewer=viewer, token=token, link=link
            )
        return see_other("/account/email?changed=true")

    # --- password ---

    @get("/password", name="profile_password")
    async def password(self, viewer: NamedDependency[Viewer], changed: FromQuery[bool] = False) -> Template:
        return page("pages/accounts/profile_password", viewer=viewer, changed=changed)

    @post("/password", name="profile_password_post")
    async def password_post(
        self,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[Viewer],
        sessions: NamedDependency[SessionStore],
        mailer: NamedDependency[Mailer],
        data: Form,
    ) -> Template | Redirect:
        session, outcome = await profile.change_password(
            viewer,
            password_field(data, "current_password"),
            password_field(data, "new_password"),
            sessions,
            mailer,
            origin_of(request),
        )
        if session is None:
            return page("pages/accounts/profile_password", outcome.errors, viewer=viewer, changed=False)
        return see_other("/account/password?changed=true", [sessions.cookie(session)])

    # --- online bill ---

    @get("/online-bill", name="profile_online_bill")
    async def online_bill(self, viewer: NamedDependency[Viewer], saved: FromQuery[bool] = False) -> Template:
        setting = await profile.online_bill(viewer)
        return page(
            "pages/accounts/profile_online_bill",
            viewer=viewer,
            setting=setting,
            value=setting.value,
            saved=saved,
        )

    @post("/online-bill", name="profile_online_bill_post")
    async def online_bill_post(
        self, request: Request[Any, Any, Any], viewer: NamedDependency[Viewer], data: Form
    ) -> Template | Redirect:
        answer = field(data, "online_bill")
        outcome = await profile.set_online_bill(viewer, answer, origin_of(request))
        if not outcome.ok:
            setting = await profile.online_bill(viewer)
            return page(
                "pages/accounts/profile_online_bill",
                outcome.errors,
                viewer=viewer,
                setting=setting,
                value=answer,
                saved=False,
            )
        return see_other("/account/online-bill?saved=true")
