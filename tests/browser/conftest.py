"""Browser tests: the app served on a local port, driven by Playwright in Debian's Chromium,
with axe-core checking every page it visits."""
from __future__ import annotations

import json
import threading

import pytest

from tests.conftest import ROOT, fresh_database, test_config

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

# When the browser drops a connection while the development server sends a static file (a page
# navigated away mid-load), werkzeug leaves the file to the garbage collector; that is the test
# server's noise, not the service's, and it surfaced in whichever test ran next.
STATIC_FILE_LEFT_OPEN = ("ignore:Exception ignored in. <_io.FileIO name='[^']*/static/"
                         ":pytest.PytestUnraisableExceptionWarning")


def pytest_collection_modifyitems(items):
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.filterwarnings(STATIC_FILE_LEFT_OPEN))


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    from app import create_app

    directory = tmp_path_factory.mktemp("browser-db")
    database = fresh_database(directory)
    url = next(database)
    app = create_app(test_config(url, SERVER_NAME=None, JOBS_RAISE=False, TESTING=False))
    yield app
    from core.database import db

    db.engine(app).dispose()
    next(database, None)


@pytest.fixture(scope="session")
def live_server(live_app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    address = f"http://127.0.0.1:{server.server_port}"
    live_app.config["BASE_URL"] = address  # links in mail point at this server, as BASE_URL does in production
    yield address
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """Pages in fresh browser contexts (separate cookies), closed after the test."""
    contexts = []

    def make(locale: str = "en-US"):
        # bypass_csp lets the test inject axe-core; the app's own pages run under the real CSP.
        context = browser.new_context(locale=locale, bypass_csp=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()


def axe_violations(page) -> list[dict]:
    """axe's findings on the page the user ends on. A click that submits a form may still be
    leaving the old page when this runs; then the check waits for the new one and runs there."""
    from playwright.sync_api import Error

    for attempt in range(3):
        page.wait_for_load_state("load")
        try:
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
            break
        except Error as exc:
            navigating = any(sign in str(exc) for sign in ("appendChild", "context was destroyed", "axe is not defined"))
            if not navigating or attempt == 2:
                raise
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result]


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: " + json.dumps(violations, indent=1)


@pytest.fixture
def make_account(live_app):
    """An account in the live database, for a customer to prove and link."""
    def make(**kwargs):
        from core.database import db
        from tests import factories

        with live_app.app_context():
            account = factories.make_account(db.session(), **kwargs)
            db.session.commit()
            return account.number

    return make


SIGN_IN_WORDS = {"en": ("Sign in", "Sign out"), "es": ("Iniciar sesión", "Cerrar sesión")}


def sign_in(page, base: str, email: str, password: str, language: str = "en") -> None:
    """Sign in on the page and wait until the signed-in page is there (in the user's language)."""
    from playwright.sync_api import expect

    sign_in_label, sign_out_label = SIGN_IN_WORDS[language]
    page.goto(base + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.get_by_role("button", name=sign_in_label).click()
    expect(page.get_by_role("button", name=sign_out_label)).to_be_visible()


@pytest.fixture
def make_staff(live_app):
    """A staff member of the given role in the live database; returns (email, password)."""
    def make(role: str, confirmed: bool = True):
        from auth import service
        from core.database import db
        from tests.conftest import PASSWORD, random_email

        with live_app.app_context():
            user = service.create_user(db.session, email=random_email(role), password=PASSWORD, role=role,
                                       confirmed=confirmed)
            db.session.commit()
            return user.email, PASSWORD

    return make
