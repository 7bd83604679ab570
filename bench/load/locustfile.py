"""The load test's journeys (issue 17): signed-in customers and anonymous payers, as a browser takes them.

Run through `make bench-load` (bench/load/run.py), which prepares the users this file reads from
`var/bench/load/users.json`. Every request is named by its route, so locust's statistics come per request
type. A browser's habits are kept: the CSRF cookie comes with the first page and each form posts the token
its page carried; redirects are followed as separate requests (each measured on its own); a file that is
"being prepared" is polled every 2 s as the page does, then downloaded.

What counts as a failure: any status other than the one the page answers a browser (a 5xx, a timeout, an
unexpected 4xx or redirect), a PDF or zip not delivered within `DELIVERY_SECONDS`, or a page that lacks
what it must show (e.g. My bills without its table).
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import time
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task
from locust.exception import StopUser

USERS_FILE = Path(
    os.environ.get("LOAD_USERS_FILE", Path(__file__).resolve().parents[2] / "var/bench/load/users.json")
)
DELIVERY_SECONDS = float(os.environ.get("LOAD_DELIVERY_SECONDS", "120"))
POLL_SECONDS = 2.0
"""How often the "being prepared" pages poll (data-hx-trigger="every 2s")."""

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"|"x-csrftoken": "([^"]+)"')
BILL_LINK = re.compile(r'<td data-label="Bill"><a href="/bills/(\d+)">')
NEXT_PAGE = re.compile(r'href="(/bills/\?[^"]*after=[^"]+)"')
ACCOUNT_OPTION = re.compile(r'<option value="(\d{10})"')
DOWNLOAD_POLL = re.compile(r'data-hx-get="(/downloads/requested/status\?seen=[^"]*)"')
DRAFT = re.compile(r"^/downloads/(\d+)/bills")

_users: list[dict[str, Any]] = []
_codes: list[dict[str, str]] = []


@events.init.add_listener
def _load_users(**_: Any) -> None:
    prepared = json.loads(USERS_FILE.read_text())
    _users.extend(prepared)
    _codes.extend(
        bill
        for user in prepared
        for account in user["accounts"]
        for bill in account["bills"]
        if bill["status"] == "pending"
    )


def _csrf(page: str) -> str:
    match = CSRF.search(page)
    if match is None:
        raise AssertionError("no CSRF token in the page")
    return html.unescape(match.group(1) or match.group(2))


def _unexpected(response: Any, expected: str) -> str:
    """A failure's message: the status, or for no answer (status 0) the client's error."""
    if response.status_code == 0:
        return f"no answer: {type(response.error).__name__}: {str(response.error)[:120]}"
    return f"{response.status_code} (expected {expected})"


def delivery(name: str, started: float, response: Any, media_type: str) -> None:
    """One "DELIVER" statistic per file asked for: its time from the first request to the file, and a
    failure when the file never came (the wait ran out, an error, or not the expected type)."""
    if response is None:
        error: Exception | None = TimeoutError(f"no file within {DELIVERY_SECONDS} s or an error")
    elif not response.headers.get("content-type", "").startswith(media_type):
        error = ValueError(f"not a {media_type}")
    else:
        error = None
    events.request.fire(
        request_type="DELIVER",
        name=name,
        response_time=(time.monotonic() - started) * 1000,
        response_length=0 if response is None else len(response.content),
        exception=error,
        context={},
    )


class Browser(HttpUser):
    """What every visitor shares: pages fetched as a browser does (status checked, the CSRF token kept)."""

    abstract = True
    csrf = ""

    def page(self, path: str, name: str, *, expect: int = 200, **kwargs: Any) -> Any:
        """GET a page (no redirect followed) and check its status; the response, or None on failure."""
        with self.client.get(
            path, name=name, allow_redirects=False, catch_response=True, **kwargs
        ) as response:
            if response.status_code != expect:
                response.failure(_unexpected(response, f"{expect}"))
                return None
            if response.headers.get("content-type", "").startswith("text/html"):
                match = CSRF.search(response.text)
                if match:
                    self.csrf = html.unescape(match.group(1) or match.group(2))
            return response

    def post(self, path: str, name: str, data: dict[str, Any], *, expect: int = 303) -> Any:
        """POST a form with the token its page carried; the redirect's location, or None on failure."""
        form = {"_csrf_token": self.csrf, **data}
        with self.client.post(
            path, name=name, data=form, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != expect:
                response.failure(_unexpected(response, f"{expect}"))
                return None
            return response.headers.get("location", "")

    def poll_file(self, href: str, status_href: str, name: str, media_type: str) -> None:
        """A file that may be "being prepared": fetch it; while it is a page, poll its status as htmx does
        (HX-Request, every 2 s, 286 when ready), then fetch it again. Not delivered in time is a failure."""
        started = time.monotonic()
        response = self.page(href, name)
        if response is None:
            return
        if not response.headers.get("content-type", "").startswith(media_type):
            while True:
                if time.monotonic() - started > DELIVERY_SECONDS:
                    return delivery(name, started, None, media_type)
                time.sleep(POLL_SECONDS)
                with self.client.get(
                    status_href,
                    name=f"{name}/status (poll)",
                    headers={"HX-Request": "true"},
                    catch_response=True,
                ) as poll:
                    if poll.status_code == 286:
                        break
                    if poll.status_code != 200:
                        poll.failure(_unexpected(poll, "200 or 286"))
                        return
            response = self.page(href, name)
        delivery(name, started, response, media_type)


class Customer(Browser):
    """A signed-in customer: signs in, browses home, My bills (filters, page 2), a bill and its PDF,
    Downloads requested, now and then requests a small massive download; signs out after a while."""

    weight = 3
    wait_time = between(1, 4)

    def on_start(self) -> None:
        if not _users:
            raise StopUser()
        self.user = _users.pop(random.randrange(len(_users)))  # one locust user per prepared user
        self.bills: list[str] = []
        self.requests_left = 0
        self.sign_in()

    def sign_in(self) -> None:
        self.page("/sign-in", "/sign-in")
        location = self.post(
            "/sign-in", "/sign-in", {"username": self.user["username"], "password": self.user["password"]}
        )
        if location:
            self.page(location, "/account/")
        self.requests_left = random.randint(10, 30)

    def next_visit(self) -> None:
        """After a visit's worth of pages, sign out and come back later (a new sign-in)."""
        self.requests_left -= 1
        if self.requests_left > 0:
            return
        self.page("/account/", "/account/")
        if self.post("/sign-out", "/sign-out", {}):
            self.page("/signed-out", "/signed-out")
        self.client.cookies.clear()
        self.sign_in()

    @task(4)
    def home(self) -> None:
        self.page("/account/", "/account/")
        self.next_visit()

    @task(6)
    def my_bills(self) -> None:
        response = self.page("/bills/", "/bills/")
        if response is None:
            return
        self.bills = BILL_LINK.findall(response.text)
        if not self.bills:
            response.failure("My bills shows no bill")
        next_page = NEXT_PAGE.search(response.text)
        if next_page and random.random() < 0.3:
            self.page(html.unescape(next_page.group(1)), "/bills/?after= (page 2)")
        self.next_visit()

    @task(3)
    def filtered_bills(self) -> None:
        response = self.page("/bills/", "/bills/")
        if response is None:
            return
        accounts = ACCOUNT_OPTION.findall(response.text)
        status = random.choice(["pending", "paid", "overdue", ""])
        account = random.choice(accounts) if accounts else ""
        self.page(f"/bills/?account={account}&status={status}", "/bills/?filters")
        self.next_visit()

    @task(4)
    def bill(self) -> None:
        if not self.bills:
            return self.my_bills()
        self.page(f"/bills/{random.choice(self.bills)}", "/bills/{id}")
        self.next_visit()

    @task(1)
    def bill_pdf(self) -> None:
        if not self.bills:
            return self.my_bills()
        # Most people download one of their latest bills.
        bill = random.choice(self.bills[:3])
        self.page(f"/bills/{bill}", "/bills/{id}")
        self.poll_file(
            f"/bills/{bill}/pdf", f"/bills/{bill}/pdf/status", "/bills/{id}/pdf", "application/pdf"
        )
        self.next_visit()

    @task(2)
    def downloads_requested(self) -> None:
        self.page("/downloads/requested", "/downloads/requested")
        self.next_visit()

    @task(1)
    def massive_download(self) -> None:
        """Request download → mark all the last 3 months' bills → Continue → Confirm → wait → the zip."""
        self.page("/downloads/", "/downloads/")
        if self.page("/downloads/new", "/downloads/new") is None:
            return
        name = f"load {random.randrange(10**6)}"
        location = self.post(
            "/downloads/new",
            "/downloads/new",
            {
                "name": name,
                "period": "last_3",
                "select_by": "identity",
                "selector_identity": self.user["identity"],
            },
        )
        draft = DRAFT.match(location or "")
        if draft is None:
            return
        request_id = draft.group(1)
        bills = f"/downloads/{request_id}/bills"
        self.page(bills, "/downloads/{id}/bills")
        location = self.post(bills, "/downloads/{id}/bills", {"action": "select_all", "page": "1"})
        if location is None:
            return
        self.page(location, "/downloads/{id}/bills")
        location = self.post(bills, "/downloads/{id}/bills", {"action": "continue", "page": "1"})
        if location is None:
            return
        self.page(location, "/downloads/{id}/check")
        location = self.post(f"/downloads/{request_id}/confirm", "/downloads/{id}/confirm", {})
        if location is None:
            return
        self.page(location, "/downloads/{id}/requested")
        self.wait_for_zip(request_id)
        self.next_visit()

    def wait_for_zip(self, request_id: str) -> None:
        """Downloads requested polls itself while a request is queued or being prepared; then the zip."""
        started = time.monotonic()
        response = self.page("/downloads/requested", "/downloads/requested")
        while response is not None:
            poll = DOWNLOAD_POLL.search(response.text)
            if poll is None:
                break
            if time.monotonic() - started > DELIVERY_SECONDS:
                return delivery("/downloads/{id}/file", started, None, "application/zip")
            time.sleep(POLL_SECONDS)
            with self.client.get(
                html.unescape(poll.group(1)),
                name="/downloads/requested/status (poll)",
                headers={"HX-Request": "true"},
                catch_response=True,
            ) as response:
                if response.status_code not in {200, 286}:
                    response.failure(_unexpected(response, "200 or 286"))
                    return
        if response is not None:
            file = self.page(f"/downloads/{request_id}/file", "/downloads/{id}/file")
            delivery("/downloads/{id}/file", started, file, "application/zip")


class Payer(Browser):
    """An anonymous visitor who pays a bill: "Pay now with CPR code" → the check page."""

    weight = 1
    wait_time = between(2, 6)

    @task
    def pay_by_code(self) -> None:
        self.page("/", "/")
        self.page("/pay", "/pay")
        if self.page("/pay/code", "/pay/code") is None:
            return
        bill = random.choice(_codes)
        location = self.post(
            "/pay/code",
            "/pay/code",
            {
                "cpr": bill["cpr"],
                "issuer": bill["issuer_suffix"],
                "reference": bill["reference"],
                "identification": bill["identification"],
                "amount": bill["amount"],
            },
        )
        if location:
            self.page(location, "/pay/{key}/check")
        self.client.cookies.clear()  # the next payer is someone else
