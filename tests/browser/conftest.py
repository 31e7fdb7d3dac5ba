"""Browser tests: the app served on a free loopback port, driven by Playwright in Debian's
Chromium (apt-get install -y chromium). Screenshots land in tests/artifacts/ for a human look."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
TABLET = {"viewport": {"width": 820, "height": 1180}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def app_settings():
    # Real forms in a real browser: CSRF protection on, as in production.
    return {"WTF_CSRF_ENABLED": True}


class InFlight:
    """WSGI wrapper that knows when no request is being served, so a test's database is only
    closed after the last request the browser started has returned its connection."""

    def __init__(self, app):
        self.app = app
        self.count = 0
        self.lock = threading.Lock()
        self.idle = threading.Event()
        self.idle.set()

    def _done(self) -> None:
        with self.lock:
            self.count -= 1
            if self.count == 0:
                self.idle.set()

    def __call__(self, environ, start_response):
        with self.lock:
            self.count += 1
            self.idle.clear()
        try:
            body = self.app(environ, start_response)
        except BaseException:
            self._done()
            raise
        return _ClosingBody(body, self._done)


class _ClosingBody:
    """Closes the body and calls ``on_done`` once: when the body has been sent, or closed.
    Werkzeug's dev server skips ``close()`` when the browser has already dropped the connection,
    so the end of iteration (or the generator being collected after a failed write) counts too."""

    def __init__(self, body, on_done):
        self.body = body
        self.on_done = on_done
        self.closed = False
        self.lock = threading.Lock()

    def __iter__(self):
        try:
            yield from self.body
        finally:
            self.close()

    def close(self) -> None:
        with self.lock:
            if self.closed:
                return
            self.closed = True
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            self.on_done()


@pytest.fixture
def live_server(app):
    tracked = InFlight(app)
    server = make_server("127.0.0.1", 0, tracked, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    tracked.idle.wait(timeout=15)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium (.ci/run does this)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _page(browser, device: dict, locale: str = "de-DE"):
    context = browser.new_context(locale=locale, **device)
    context.set_default_timeout(10_000)
    page = context.new_page()
    return context, page


@pytest.fixture
def page(browser):
    context, page = _page(browser, DESKTOP)
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    context, page = _page(browser, PHONE)
    yield page
    context.close()


@pytest.fixture
def tablet(browser):
    context, page = _page(browser, TABLET)
    yield page
    context.close()


@pytest.fixture
def new_page(browser):
    """``new_page(device="desktop"|"tablet"|"phone", locale="de-DE")`` for tests with several browsers."""
    contexts = []

    def _new(device: str = "desktop", locale: str = "de-DE"):
        context, page = _page(browser, {"desktop": DESKTOP, "tablet": TABLET, "phone": PHONE}[device], locale)
        contexts.append(context)
        return page

    yield _new
    for context in contexts:
        context.close()


def sign_in(page, base_url: str, user, password: str | None = None) -> None:
    page.goto(f"{base_url}/anmelden")
    page.get_by_label("E-Mail-Adresse").fill(user.email)
    page.get_by_label("Passwort").fill(password or user.password)
    # Wait for the answer to the form itself: the sign-in page is already
    # loaded, so waiting for a load state alone could return before the POST.
    with page.expect_navigation():
        page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state()


def eventually(page, expression: str, expected=None, timeout_ms: int = 10_000):
    """Evaluate `expression` until it gives `expected` (default: an empty list) or the time is up;
    returns the last value, so the caller's assert shows what the page held."""
    wanted = [] if expected is None else expected
    waited = 0
    value = page.evaluate(expression)
    while value != wanted and waited < timeout_ms:
        page.wait_for_timeout(100)
        waited += 100
        value = page.evaluate(expression)
    return value


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_accessible(page, name: str = "") -> None:
    """axe-core (WCAG 2.1 A/AA rules) finds no violations on the current page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
    violations = results.response["violations"]
    summary = [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in violations
    ]
    assert not violations, f"axe violations on {name or page.url}:\n" + json.dumps(summary, indent=2, ensure_ascii=False)
