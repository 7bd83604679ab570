"""The public home page and the error page, with JavaScript on and off, keyboard only, axe clean."""

from collections.abc import Callable

from playwright.sync_api import Page, expect

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
