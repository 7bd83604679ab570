"""The public home page and the error page, with JavaScript on and off, keyboard only, axe clean; the
public pages once signed in."""

from collections.abc import Callable

from playwright.sync_api import Page, expect

from e2e.conftest import LiveStack
from e2e.pages.accounts import AccountHome, SignInPage
from e2e.pages.site import HomePage


def test_home_page(page: Page, base_url: str, javascript: bool, axe: Callable[[Page], None]) -> None:
    HomePage(page, base_url).open()
    expect(page).to_have_title("Home – Customer Service Area – Aguas de Ejemplo, S.A.")
    expect(page.get_by_role("heading", name="What you can do here")).to_be_visible()
    # htmx is served by the portal itself (no CDN), and runs when JavaScript is on.
    assert page.locator("script[src*='htmx']").get_attribute("src") == "/static/vendor/htmx-2.0.11.min.js"
    assert page.evaluate("window.htmx ? window.htmx.version : null") == ("2.0.11" if javascript else None)
    axe(page)


def test_page_not_found(page: Page, base_url: str, axe: Callable[[Page], None]) -> None:
    response = page.goto(f"{base_url}/no-such-page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1, name="Page not found")).to_be_visible()
    axe(page)
    page.get_by_role("link", name="Go to the Customer Service Area home page").click()
    expect(HomePage(page, base_url).heading).to_be_visible()


def test_public_pages_once_signed_in(
    page: Page, base_url: str, local_stack: LiveStack, axe: Callable[[Page], None]
) -> None:
    """The footer's pages are shown inside the signed-in area, and the service's name leads home: the
    signed-in home, never the public one that offers to sign in."""
    user = local_stack.customer(user="private").signs_in_as
    page.goto(f"{base_url}/sign-in")
    SignInPage(page).sign_in(user.username, user.password)
    home = AccountHome(page).expect_signed_in(user.username)
    footer_pages = (("Privacy", "Privacy Policy"), ("Accessibility statement", "Accessibility statement"))
    for link, heading in footer_pages:
        page.get_by_role("contentinfo").get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
        expect(page.get_by_text(f"Signed in as {user.username}")).to_be_visible()
        expect(page.get_by_role("navigation", name="Main menu")).to_be_visible()
        expect(page.get_by_role("banner").get_by_role("link", name="Sign in")).to_have_count(0)
        axe(page)
        # The service's name at the top of every page (the main menu's first item also says it).
        page.get_by_role("link", name="Aguas de Ejemplo, S.A. Customer Service Area", exact=True).click()
        home.expect_signed_in(user.username)
    # An error inside the area (a bill that is not theirs) keeps it around them.
    response = page.goto(f"{base_url}/bills/999999999")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1, name="Page not found")).to_be_visible()
    expect(page.get_by_text(f"Signed in as {user.username}")).to_be_visible()
    axe(page)
    page.get_by_role("link", name="Go to the Customer Service Area home page").click()
    home.expect_signed_in(user.username)


def test_skip_link_with_the_keyboard_alone(page: Page, base_url: str) -> None:
    home = HomePage(page, base_url).open()
    page.keyboard.press("Tab")
    expect(home.skip_link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base_url}/#main")
    expect(home.main).to_be_focused()


def test_no_horizontal_scroll_at_320_pixels(page: Page, base_url: str) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    HomePage(page, base_url).open()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
