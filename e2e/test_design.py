"""The look of the portal, kept true: at every Tab stop of the home page, sign in, My bills (also in forced
colours), a bill, paying it (the portal's check page and the sandbox bank's card page) and a form, focus
visibly changes the control, by at least 3:1 against how it looks unfocused; and screenshots of the main
pages at 320 and 1280 px, kept in test-results/screenshots/ for a reviewer to look at."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import LiveStack
from e2e.pages.accounts import SignInPage
from e2e.pages.payments import BillPayment
from e2e.pages.sandbox_bank import SandboxBank

# What a person sees of a control: the parts of its computed style that focus may change, and the colours
# (WCAG relative luminance, contrast ratio, alpha laid over what is behind) to say by how much.
_LOOK = """
const rgba = text => {
  const m = (text || "").match(/rgba?\\(([\\d.]+),\\s*([\\d.]+),\\s*([\\d.]+)(?:,\\s*([\\d.]+))?\\)/);
  return m ? [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]] : null;
};
const over = (colour, below) => colour[3] >= 1 ? colour
  : [0, 1, 2].map(i => colour[i] * colour[3] + below[i] * (1 - colour[3])).concat(1);
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
    if (colour && colour[3] > 0) return over(colour, background(node.parentElement));
  }
  return [255, 255, 255, 1];
};
const shadows = value => value === "none" ? [] : value.split(/,(?![^(]*\\))/).map(text => {
  const [x, y, blur, spread] = (text.match(/-?[\\d.]+px/g) || []).map(parseFloat).concat([0, 0, 0, 0]);
  const width = Math.max(Math.abs(x), Math.abs(y)) + spread;
  return {colour: rgba(text), inset: /inset/.test(text), at: [x, y, blur, spread].join(), width};
});
const look = element => {
  const s = getComputedStyle(element);
  const line = (style, width, colour) => style === "none" || style === "hidden" ? null
    : {width: parseFloat(width), colour: rgba(colour)};
  return {
    outline: line(s.outlineStyle, s.outlineWidth, s.outlineColor),
    outlineOffset: s.outlineOffset,
    shadows: shadows(s.boxShadow),
    background: rgba(s.backgroundColor),
    colour: rgba(s.color),
    borders: ["Top", "Right", "Bottom", "Left"].map(
      side => line(s[`border${side}Style`], s[`border${side}Width`], s[`border${side}Color`])),
    decoration: [s.textDecorationLine, s.textDecorationColor, s.textDecorationThickness].join(),
    decorationColour: s.textDecorationLine === "none" ? null : rgba(s.textDecorationColor),
  };
};
"""

# Every element's look before the walk, nothing focused: what each control looks like unfocused.
_AT_REST = (
    "() => {"
    + _LOOK
    + "window.portalAtRest = new Map([...document.querySelectorAll('*')].map(e => [e, look(e)]));}"
)

# The focused element against itself unfocused: each part of its look that focus changed, with the contrast
# of that change on the same pixels, unfocused and focused (WCAG 2.4.7 and 1.4.11, measured as 2.4.13
# does): a line (outline, border, box shadow) of at least 2 px against what was there before, the new
# background against the old, the text's or its underline's new colour against the old. Also its text
# against its background while focused.
_FOCUS_CHANGE = (
    "element => {"
    + _LOOK
    + """
  const text = element.tagName === "INPUT" ? "" : (element.innerText || "").trim();
  const name = (element.getAttribute("aria-label") || text || element.id || element.tagName).slice(0, 60);
  const rest = window.portalAtRest.get(element);
  const now = look(element);
  const around = background(element.parentElement);
  const ownNow = over(now.background, around);
  const found = {name, atRest: Boolean(rest), changes: [], text: text ? contrast(now.colour, ownNow) : null};
  if (!rest) return found;
  const ownBefore = over(rest.background, around);
  const seen = (what, colour, before) => {
    if (colour && colour[3] > 0) found.changes.push([what, contrast(over(colour, before), before)]);
  };
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  if (now.outline && now.outline.width >= 2 && !same(now.outline, rest.outline)) {
    const outlined = rest.outline && rest.outline.colour[3] > 0 && rest.outlineOffset === now.outlineOffset;
    const inside = parseFloat(now.outlineOffset) < 0;  // drawn over the control, not around it
    const under = outlined ? over(rest.outline.colour, around) : inside ? ownBefore : around;
    seen("outline", now.outline.colour, under);
  }
  for (const shadow of now.shadows) {
    const old = rest.shadows.find(before => before.at === shadow.at && before.inset === shadow.inset);
    if (shadow.width < 2 || (old && same(old.colour, shadow.colour))) continue;
    seen("box-shadow", shadow.colour, old ? over(old.colour, around) : shadow.inset ? ownBefore : around);
  }
  if (!same(now.background, rest.background)) seen("background", ownNow, ownBefore);
  if (!same(now.colour, rest.colour)) seen("colour", now.colour, over(rest.colour, ownBefore));
  now.borders.forEach((border, side) => {
    const old = rest.borders[side];
    if (border && border.width >= 2 && !same(border, old)) {
      seen("border", border.colour, old ? over(old.colour, ownBefore) : around);
    }
  });
  if (now.decoration !== rest.decoration) {
    const [line, was] = [now.decorationColour, rest.decorationColour];
    if (line) seen("text-decoration", line, was ? over(was, ownBefore) : ownBefore);
    else if (was) seen("text-decoration", ownNow, over(was, ownBefore));  // the underline gone
  }
  return found;
}
"""
)


def focus_problems(page: Page, limit: int = 120) -> list[str]:
    """Tab through the page from the top; what is wrong at each stop (nothing, when all is well)."""
    problems: list[str] = []
    # Start from the top of the document, as a keyboard user arriving on the page does (body.focus() is a
    # no-op while a heading holds the focus that the portal gives it after a swap).
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate(_AT_REST)
    seen = 0
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.locator(":focus")
        if focused.count() == 0:
            break
        seen += 1
        found = focused.evaluate(_FOCUS_CHANGE)
        best = max((ratio for _, ratio in found["changes"]), default=0)
        if not found["atRest"]:
            problems.append(f"{found['name']!r}: not on the page before the walk, so not compared")
        elif not found["changes"]:
            problems.append(f"{found['name']!r}: focus changes nothing visible")
        elif best < 3:
            changed = ", ".join(f"{what} {ratio:.2f}:1" for what, ratio in found["changes"])
            problems.append(f"{found['name']!r}: focus changes too little ({changed})")
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
    page.get_by_role("link", name="Online payment").click()  # the bill's barcode, typed in for us
    page.get_by_role("button", name="Continue").click()
    payment = BillPayment(page)
    expect(payment.heading("Check what you are paying")).to_be_visible()
    problems += [f"check what you are paying: {problem}" for problem in focus_problems(page)]
    payment.start_payment().go_to_bank()
    SandboxBank(page).expect_card_page()  # another organisation's page, but ours to keep accessible
    problems += [f"sandbox bank: {problem}" for problem in focus_problems(page)]
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
