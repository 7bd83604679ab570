"""The signed-in home and administrators' "Add an account". Each handler parses the form, calls one
service function, and renders the page again (422 with messages) or redirects (303)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from portal.accounts import forms, services
from portal.accounts.controllers import origin_of
from portal.bills import services as bills
from portal.downloads.requests import recent_downloads
from portal.notifications.mailer import Mailer
from portal.settings import Settings
from portal.viewer import Viewer
from portal.web.forms import Form, field, local_path
from portal.web.pages import page, see_other
from portal.web.sessions import SessionStore

ACCOUNTS_PER_PAGE = 20
"""The home page shows this many account cards at a time; past it, the totals and pages of cards."""


class AccountHomeController(Controller):
    """The Customer Service Area once signed in. Every handler here needs a viewer."""

    path = "/account"

    @get("/", name="account_home")
    async def home(
        self,
        viewer: NamedDependency[Viewer],
        added: FromQuery[str] = "",
        done: FromQuery[str] = "",
        page_number: FromQuery[int] = 1,
    ) -> Template:
        accounts = await bills.account_status(viewer)
        pages = max(1, -(-len(accounts) // ACCOUNTS_PER_PAGE))
        page_number = min(max(page_number, 1), pages)
        start = (page_number - 1) * ACCOUNTS_PER_PAGE
        holders = {account.holder for account in accounts}
        return page(
            "pages/accounts/home",
            viewer=viewer,
            # A customer is greeted by name (their accounts share one holder); an administrator by username.
            name=holders.pop() if len(holders) == 1 and viewer.kind != "administrator" else viewer.username,
            accounts=accounts[start : start + ACCOUNTS_PER_PAGE],
            totals=bills.AccountTotals.of(accounts),
            page_number=page_number,
            pages=pages,
            accounts_per_page=ACCOUNTS_PER_PAGE,
            added=added,
            done=done,
            downloads=await recent_downloads(viewer),
        )

    @get("/manage", name="manage_account")
    async def manage(self, viewer: NamedDependency[Viewer]) -> Template:
        return page("pages/accounts/manage", viewer=viewer)

    @get("/transactions", name="all_transactions")
    async def transactions(self, viewer: NamedDependency[Viewer]) -> Template:
        return page("pages/accounts/transactions", viewer=viewer)

    @post("/keep-alive", name="keep_alive")
    async def keep_alive(
        self, viewer: NamedDependency[Viewer], sessions: NamedDependency[SessionStore], data: Form
    ) -> Redirect:
        await sessions.extend(viewer)
        # Back to the page the warning was shown on.
        return see_other(local_path(field(data, "next")) or "/account")

    @get("/accounts/add", name="add_account")
    async def add(self, viewer: NamedDependency[Viewer]) -> Template:
        if not services.can_add_accounts(viewer):
            return _for_administrators_only(viewer)
        return page("pages/accounts/add_account", viewer=viewer, values=forms.BillDetailsForm())

    @post("/accounts/add", name="add_account_post")
    async def add_post(
        self,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[Viewer],
        data: Form,
        sessions: NamedDependency[SessionStore],
        settings: NamedDependency[Settings],
        mailer: NamedDependency[Mailer],
    ) -> Template | Redirect:
        if not services.can_add_accounts(viewer):
            return _for_administrators_only(viewer)
        details = forms.bill_details(data)
        token = sessions.token_from(request)
        assert token is not None
        session, number, outcome = await services.add_account(
            viewer,
            details,
            sessions,
            token,
            origin_of(request),
            settings.issuer.customer_service_phone,
            mailer,
        )
        if session is None:
            return page("pages/accounts/add_account", outcome.errors, viewer=viewer, values=details)
        return see_other(f"/account?added={number}", [sessions.cookie(session)])


def _for_administrators_only(viewer: Viewer) -> Template:
    """ "Add an account" asked for by a private or company user (a bookmark, a shared link): not a form
    they cannot use, but a page that says whom it is for and where to go instead."""
    return page("pages/accounts/add_account_refused", viewer=viewer, status=403)
