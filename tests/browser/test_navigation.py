"""Staff navigation fits the screen (issue 13): every item inside the viewport, none over another
or over the logo, at desktop widths; on a phone the menu opens without JavaScript."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM_ARGS, assert_accessible, sign_in  # noqa: F401

pytestmark = pytest.mark.browser

# Everything a person can click or read in the header and the staff side navigation, as drawn.
EVERY_NAV_ITEM = ".usa-logo a, .usa-menu-btn, header nav a, header nav button, .assist-sidenav a, .assist-sidenav__label"
MENU_ITEMS = "#site-nav a, #site-nav button"
VISIBLE_NAV_BOXES = """(selector) => {
  const boxes = [];
  for (const el of document.querySelectorAll(selector)) {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || style.visibility === 'hidden') continue;
    boxes.push({text: (el.innerText || el.getAttribute('alt') || '').trim(), left: r.left, right: r.right,
                top: r.top, bottom: r.bottom});
  }
  return {boxes, width: document.documentElement.clientWidth, scrollWidth: document.documentElement.scrollWidth};
}"""


def _overlap(a: dict, b: dict) -> bool:
    return a["left"] < b["right"] - 0.5 and b["left"] < a["right"] - 0.5 and \
        a["top"] < b["bottom"] - 0.5 and b["top"] < a["bottom"] - 0.5


def _check_fits(page, width: int, selector: str = EVERY_NAV_ITEM) -> list[str]:
    drawn = page.evaluate(VISIBLE_NAV_BOXES, selector)
    problems = []
    if drawn["scrollWidth"] > drawn["width"]:
        problems.append(f"{page.url} at {width}px scrolls sideways ({drawn['scrollWidth']}px)")
    boxes = drawn["boxes"]
    for box in boxes:
        if box["left"] < 0 or box["right"] > drawn["width"] + 0.5:
            problems.append(f"{page.url} at {width}px: {box['text']!r} is outside the viewport ({box})")
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if _overlap(a, b):
                problems.append(f"{page.url} at {width}px: {a['text']!r} covers {b['text']!r}")
    return problems


def _nav_links(page) -> list[tuple[str, str]]:
    return page.evaluate("""() => [...document.querySelectorAll('.assist-sidenav a, header nav a')]
        .filter(a => a.getBoundingClientRect().width > 0).map(a => [a.innerText.trim(), a.getAttribute('href')])""")


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_every_staff_page_keeps_its_navigation_on_screen_at_desktop_widths(live_server, new_page, make_staff, role):
    email, password = make_staff(role)
    page = new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, email, password)
    # A manager lands on their dashboard, an admin on the overview: their work, not the public home page.
    expect(page.locator("h1")).to_have_text("Dashboard" if role == "manager" else "Overview")
    links = _nav_links(page)
    labels = [label for label, _href in links]
    for expected in ("Overview", "Queue", "Accounts", "Approvals", "Programs", "Renewals by month", "Audit log", "My sign-in"):
        assert expected in labels
    assert ("Users" in labels) == (role == "admin")
    problems: list[str] = []
    widths = (1024, 1280, 1440) if role == "manager" else (1024,)  # the admin's pages: the narrowest desktop
    for number, (label, href) in enumerate(links):
        for width in widths:
            page.set_viewport_size({"width": width, "height": 900})
            response = page.goto(live_server + href)
            assert response.status == 200, href
            problems += _check_fits(page, width)
        if role == "manager" or label == "Users":
            assert_accessible(page)
    assert problems == []


def test_the_phone_menu_opens_without_javascript(live_server, browser, make_staff):
    email, password = make_staff("manager")
    context = browser.new_context(java_script_enabled=False, viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        page.goto(live_server + "/login")
        page.locator("#email").fill(email)
        page.locator("#password").fill(password)
        page.locator("main").get_by_role("button", name="Sign in").click()
        expect(page.locator("h1")).to_have_text("Dashboard")
        queue_link = page.locator("#site-nav").get_by_role("link", name="Queue", exact=True)
        expect(queue_link).to_be_hidden()
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        page.get_by_role("link", name="Menu").click()
        expect(queue_link).to_be_visible()
        expect(page.locator("#site-nav").get_by_role("button", name="Sign out")).to_be_visible()
        assert _check_fits(page, 320, MENU_ITEMS) == []
        page.locator("#site-nav").get_by_role("link", name="Audit log").click()
        expect(page).to_have_url(live_server + "/staff/audit")
        expect(page.locator("#site-nav").get_by_role("link", name="Queue", exact=True)).to_be_hidden()
    finally:
        context.close()


@pytest.mark.parametrize("width", [320, 375, 768])
def test_the_phone_menu_with_javascript_shows_every_staff_page(live_server, new_page, make_staff, width):
    email, password = make_staff("admin")
    page = new_page()
    page.set_viewport_size({"width": width, "height": 700})
    page.goto(live_server + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Overview")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.get_by_role("button", name="Menu").or_(page.get_by_role("link", name="Menu")).click()
    nav = page.locator("#site-nav")
    page.evaluate("() => Promise.all(document.getAnimations().map(a => a.finished))")  # the menu slides in
    for label in ("Queue", "Accounts", "Approvals", "Credit files", "Audit log", "Users"):
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    assert _check_fits(page, width, MENU_ITEMS) == []
    assert_accessible(page)
    nav.get_by_role("link", name="Users", exact=True).click()
    expect(page).to_have_url(live_server + "/admin/users")


@pytest.mark.parametrize("locale", ["en-US", "es-MX"])
def test_the_customer_header_fits_at_desktop_widths_in_both_languages(live_server, new_page, make_staff, locale):
    email, password = make_staff("customer")
    page = new_page()
    page.set_viewport_size({"width": 1024, "height": 800})
    sign_in(page, live_server, email, password)
    if locale == "es-MX":  # Spanish labels are longer
        page.locator("#language-select").select_option("es")
        page.get_by_role("button", name="Change language").click()
        expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()
    problems = []
    for width in (1024, 1280, 1440, 1920):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(live_server + "/")
        problems += _check_fits(page, width)
    assert problems == []
