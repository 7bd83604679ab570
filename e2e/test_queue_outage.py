"""A bill's PDF asked for while the job queue does not answer: a 503 page that says so, with "Try again"
(a link: no JavaScript needed) and Retry-After, axe clean. A second web server of the live stack, on its
database, whose queue points where nothing listens."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from conftest import free_port
from e2e.conftest import LiveStack
from e2e.pages.accounts import SignInPage


@pytest.fixture
def web_without_queue(local_stack: LiveStack) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **local_stack.env,
        "PORT": str(port),
        "BASE_URL": url,
        "QUEUE_URL": f"redis://127.0.0.1:{free_port()}/0",
    }
    log = (local_stack.log_dir / "serve-without-queue.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "portal.cli", "serve"], env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "the web server without a queue stopped"
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "the web server without a queue did not start"
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_pdf_while_the_queue_is_down_says_try_again(
    page: Page, local_stack: LiveStack, web_without_queue: str, axe: Callable[[Page], None]
) -> None:
    user = local_stack.customer(user="private").signs_in_as
    page.goto(f"{web_without_queue}/sign-in")
    SignInPage(page).sign_in(user.username, user.password)
    page.get_by_role("link", name="My bills").click()
    page.get_by_role("link", name="View online bill").first.click()
    page.get_by_text("Actions", exact=True).click()
    with page.expect_response(lambda response: "/pdf" in response.url) as answer:
        page.get_by_role("link", name="Download the bill as PDF").click()
    assert answer.value.status == 503
    assert answer.value.headers["retry-after"] == "30"
    expect(page.get_by_role("heading", level=1, name="Sorry, the service is unavailable")).to_be_visible()
    expect(page.get_by_text("We cannot prepare this right now. Try again in a minute.")).to_be_visible()
    axe(page)
    page.get_by_role("link", name="Try again").click()
    expect(page.get_by_role("heading", level=1, name="Sorry, the service is unavailable")).to_be_visible()
