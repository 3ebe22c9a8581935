"""The customer's header fits (issue 13): one line at 1280 px in Spanish as in English, and a
working menu on a 390 px phone."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

HEADER = """() => {
  const header = document.querySelector('header.usa-header').getBoundingClientRect();
  const items = [...document.querySelectorAll('header nav .usa-nav__primary a, header nav .assist-signout button')]
    .map(el => { const r = el.getBoundingClientRect(); const lines = new Set();
                 const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
                 for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                   if (!node.textContent.trim()) continue;
                   const range = document.createRange();
                   range.selectNodeContents(node);  // a text box for each line the label is drawn on
                   for (const box of range.getClientRects()) if (box.width > 0) lines.add(Math.round(box.top));
                 }
                 return {text: el.innerText.trim(), top: r.top, bottom: r.bottom, right: r.right, lines: lines.size}; });
  return {height: header.height, items, width: document.documentElement.clientWidth,
          scrollWidth: document.documentElement.scrollWidth};
}"""


def _customer(live_app, language: str) -> str:
    from auth import service
    from core.database import db
    from tests.conftest import PASSWORD, random_email

    with live_app.app_context():
        user = service.create_user(db.session, email=random_email("header"), password=PASSWORD, role="customer",
                                   confirmed=True, language=language)
        db.session.commit()
        return user.email


def _header(live_server, live_app, new_page, language: str, width: int):
    from tests.conftest import PASSWORD

    page = new_page("es-ES" if language == "es" else "en-US")
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, _customer(live_app, language), PASSWORD, language)
    page.set_viewport_size({"width": width, "height": 900})
    return page


def test_the_spanish_customer_header_is_one_line_at_1280_px_like_the_english_one(live_server, live_app, new_page):
    drawn = {}
    for language in ("en", "es"):
        page = _header(live_server, live_app, new_page, language, 1280)
        drawn[language] = page.evaluate(HEADER)
    english, spanish = drawn["en"], drawn["es"]
    assert len(spanish["items"]) == len(english["items"]) >= 8  # seven pages and Sign out
    assert "Mi inicio de sesión" in [i["text"] for i in spanish["items"]]
    for language, header in drawn.items():
        links = [i for i in header["items"] if i["text"] not in ("Sign out", "Cerrar sesión")]
        assert {round(i["top"]) for i in links} == {round(links[0]["top"])}, (language, header["items"])
        assert all(i["lines"] == 1 for i in header["items"]), (language, [(i["text"], i["lines"]) for i in header["items"]])
        assert header["scrollWidth"] <= header["width"] and all(i["right"] <= header["width"] for i in header["items"])
    assert abs(spanish["height"] - english["height"]) < 1, (spanish["height"], english["height"])


def test_the_spanish_header_opens_as_a_menu_on_a_phone(live_server, live_app, new_page):
    page = _header(live_server, live_app, new_page, "es", 390)
    drawn = page.evaluate(HEADER)
    assert drawn["scrollWidth"] <= drawn["width"] and drawn["height"] < 80
    page.get_by_role("link", name="Menú").or_(page.get_by_role("button", name="Menú")).first.click()
    for name in ("Mis solicitudes", "Mi inicio de sesión"):
        link = page.locator("#site-nav").get_by_role("link", name=name)
        expect(link).to_be_visible()
        expect(link).to_be_in_viewport(ratio=1)  # once the menu has slid in
    expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()
