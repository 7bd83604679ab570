"""The look of the portal, kept true: a visible focus indicator (contrast at least 3:1) at every Tab stop of
the home page, My bills (also in forced colours), a bill and a form; and screenshots of the main pages at
320 and 1280 px, kept in test-results/screenshots/ for a reviewer to look at."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import LiveStack
from e2e.pages.accounts import SignInPage

# For the focused element: its text against its background, and its focus indicator (outline, box shadow,
# or a background of its own) against what is around it, as WCAG contrast ratios.
_FOCUS_CONTRAST = """
element => {
  const rgba = text => {
    const m = text.match(/rgba?\\(([\\d.]+),\\s*([\\d.]+),\\s*([\\d.]+)(?:,\\s*([\\d.]+))?\\)/);
    return m ? [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]] : null;
  };
  const luminance = ([r, g, b]) => {
    const c = [r, g, b].map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const contrast = (a, b) => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const background = node => {
    for (; node && node.nodeType === 1; node = node.parentElement) {
      const colour = rgba(getComputedStyle(node).backgroundColor);
      if (colour && colour[3] > 0) return colour;
    }
    return [255, 255, 255, 1];
  };
  const style = getComputedStyle(element);
  const around = background(element.parentElement);
  const own = background(element);
  const indicators = [];
  if (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2) {
    indicators.push(rgba(style.outlineColor));
  }
  for (const match of style.boxShadow.matchAll(/rgba?\\([^)]*\\)/g)) indicators.push(rgba(match[0]));
  if (own.join() !== around.join()) indicators.push(own);
  const visible = indicators.filter(colour => colour && colour[3] > 0);
  const text = element.tagName === "INPUT" ? "" : (element.innerText || "").trim();
  return {
    name: (element.getAttribute("aria-label") || text || element.id || element.tagName).slice(0, 60),
    indicator: Math.max(0, ...visible.map(colour => contrast(colour, around))),
    text: text ? contrast(rgba(style.color), own) : null,
  };
}
"""


def focus_problems(page: Page, limit: int = 120) -> list[str]:
    """Tab through the page from the top; what is wrong at each stop (nothing, when all is well)."""
    problems: list[str] = []
    # Start from the top of the document, as a keyboard user arriving on the page does (body.focus() is a
    # no-op while a heading holds the focus that the portal gives it after a swap).
    page.evaluate("document.activeElement && document.activeElement.blur()")
    seen = 0
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.locator(":focus")
        if focused.count() == 0:
            break
        seen += 1
        found = focused.evaluate(_FOCUS_CONTRAST)
        if found["indicator"] < 3:
            problems.append(
                f"{found['name']!r}: focus indicator {found['indicator']:.2f}:1 against its surroundings"
            )
        if found["text"] is not None and found["text"] < 3:
            problems.append(f"{found['name']!r}: focused text {found['text']:.2f}:1 against its background")
        if focused.evaluate("element => element.matches('body > :last-child, #live-status')"):
            break
    assert seen > 5, "the Tab walk reached almost nothing"
    return problems


@pytest.mark.parametrize("javascript", [True], ids=["js"])
def test_focus_is_visible_at_every_tab_stop(
    page: Page, base_url: str, local_stack: LiveStack, axe: Callable[[Page], None]
) -> None:
    user = local_stack.customer(pending=(2, 0), user="private").signs_in_as
    page.goto(f"{base_url}/")
    problems = [f"home: {problem}" for problem in focus_problems(page)]
    page.goto(f"{base_url}/sign-in")
    problems += [f"sign in: {problem}" for problem in focus_problems(page)]
    SignInPage(page).sign_in(user.username, user.password)
    page.get_by_role("link", name="My bills").click()
    # The boosted page is in once its heading has taken the focus (portal.js, after the swap settles):
    # walking before that raced the script.
    expect(page.get_by_role("heading", level=1, name="My bills")).to_be_focused()
    problems += [f"My bills: {problem}" for problem in focus_problems(page)]
    # Windows high contrast: box shadows and backgrounds are the system's, so a focus drawn with them alone
    # (links, menus, link-style buttons) disappears unless an outline is there to take the system colour.
    page.emulate_media(forced_colors="active")
    problems += [f"My bills, forced colours: {problem}" for problem in focus_problems(page)]
    page.emulate_media(forced_colors="none")
    page.get_by_role("link", name="View online bill").first.click()
    expect(page.get_by_role("heading", level=1, name="Bill FA")).to_be_focused()
    problems += [f"bill: {problem}" for problem in focus_problems(page)]  # "Download PDF": a link as a button
    page.goto(f"{base_url}/downloads/new")
    page.get_by_role("radio", name="Choose the months").check()
    problems += [f"Request download: {problem}" for problem in focus_problems(page)]
    axe(page)
    assert not problems, "\n".join(problems)


SCREENS = {"narrow": {"width": 320, "height": 900}, "wide": {"width": 1280, "height": 900}}


@pytest.mark.parametrize("javascript", [True], ids=["js"])
def test_screenshots_of_the_main_pages(
    page: Page, base_url: str, local_stack: LiveStack, pytestconfig: Any
) -> None:
    # An administrator of a customer of the test's own: two accounts, the latest bill of each due.
    user = local_stack.customer(pending=(1, 1), user="administrator").signs_in_as
    folder = Path(pytestconfig.getoption("output")) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)

    def shoot(name: str) -> None:
        for size in SCREENS.values():
            page.set_viewport_size(size)
            page.screenshot(path=folder / f"{name}-{size['width']}.png", full_page=True)
        page.set_viewport_size(SCREENS["wide"])

    page.goto(f"{base_url}/")
    shoot("home")
    page.goto(f"{base_url}/sign-in")
    shoot("sign-in")
    SignInPage(page).sign_in(user.username, user.password)
    expect(page.get_by_role("heading", level=1, name="Customer Service Area")).to_be_visible()
    shoot("account-home")
    page.get_by_role("link", name="My bills").click()
    # The boosted page is in once its heading has taken the focus (portal.js, after the swap settles):
    # walking before that raced the script.
    expect(page.get_by_role("heading", level=1, name="My bills")).to_be_focused()
    shoot("my-bills")
    page.get_by_role("link", name="View online bill").first.click()
    expect(page.get_by_role("heading", level=1, name="Bill FA")).to_be_visible()
    shoot("bill")
    page.goto(f"{base_url}/downloads/new")
    shoot("request-download")
    page.goto(f"{base_url}/downloads/requested")
    shoot("downloads-requested")
    page.goto(f"{base_url}/payment-documents")
    shoot("payment-documents")
    page.goto(f"{base_url}/accessibility")
    shoot("accessibility-statement")
    assert len(list(folder.glob("*.png"))) >= 2 * 9
