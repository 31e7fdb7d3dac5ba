"""Tables on a phone, a tablet and a desktop: every action of the certificates page, the enrolment
page and the programme overview is on screen after scrolling down only (no sideways page
scrolling); the overview keeps name and status in view however many modules a series has."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, screenshot, sign_in
from tests.certificate_support import enrollment_id, make_eligible, signing_key_dir  # noqa: F401 - fixture
from wirlearn.certificates import services
from wirlearn.extensions import db

pytestmark = pytest.mark.browser

WIDTHS = {390: {"height": 844, "is_mobile": True, "has_touch": True}, 820: {"height": 1180}, 1366: {"height": 768}}
NAMES = ("Ayşe Yılmaz", "Đorđe Petrović", "Zoë Özdemir-Schäfer", "Aleksandra Wiśniewska-Großmann", "Ben Becker", "Chiara Conti")

# Everything a person can act on inside the page's main area; what sits in a part for screen
# readers only (a 1 px box, such as a table head on a phone) is no target for the eye.
ACTIONS = """
() => [...document.querySelectorAll('main a[href], main button, main summary, main select, main input:not([type=hidden])')]
  .filter(el => {
    for (let node = el; node && node !== document.body; node = node.parentElement) {
      const r = node.getBoundingClientRect();
      if (r.width <= 2 || r.height <= 2) return false;
    }
    return true;
  })
  .map(el => { const r = el.getBoundingClientRect();
    return {text: (el.innerText || el.value || el.name || '').trim().slice(0, 60), left: r.left, right: r.right}; })
"""


@pytest.fixture
def app_settings(signing_key_dir):  # noqa: F811 - the fixture imported above
    return {"WTF_CSRF_ENABLED": True, "SIGNING_KEY_DIR": str(signing_key_dir)}


@pytest.fixture
def wide_series(app, factory, admin, trainer):
    """Nine modules, six people: two eligible, one of them certified."""
    people = [factory.user("coordinator", email=f"p{i}@example.org", name=name, region="Kassel") for i, name in enumerate(NAMES)]
    modules = tuple({"title": f"Modul mit einem langen Titel {n}"} for n in range(1, 10))
    days = tuple((-90 + 10 * n,) for n in range(9))
    series = factory.series(trainers=(trainer,), coordinators=tuple(people), modules=modules, days=days)
    for person in people[:2]:
        make_eligible(app, series, person)
    with app.app_context():
        services.issue_certificate(enrollment_id(app, series, people[0]), issued_by_id=admin.id)
        db.session.commit()
    return series


def pages(series_id: int) -> dict[str, str]:
    return {
        "certificates": f"/verwaltung/reihen/{series_id}/zertifikate",
        "enrolment": f"/verwaltung/reihen/{series_id}/teilnehmende",
        "overview": f"/programm/reihen/{series_id}",
        "audit log": "/verwaltung/protokoll",
    }


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_every_action_is_on_screen_after_scrolling_down_only(browser, live_server, admin, wide_series, width):
    extra = dict(WIDTHS[width])
    height = extra.pop("height")
    context = browser.new_context(locale="de-DE", viewport={"width": width, "height": height}, **extra)
    try:
        page = context.new_page()
        sign_in(page, live_server, admin)
        for name, path in pages(wide_series.id).items():
            page.goto(live_server + path)
            assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), (
                f"{name} scrolls sideways at {width} px"
            )
            actions = page.evaluate(ACTIONS)
            assert len(actions) >= 5, (name, actions)
            outside = [a for a in actions if a["left"] < 0 or a["right"] > width + 0.5]
            assert not outside, f"{name} at {width} px: {outside}"
            screenshot(page, f"layout-{name}-{width}")
        # The actions the issue names are among them.
        page.goto(live_server + pages(wide_series.id)["certificates"])
        expect(page.get_by_role("button", name="Ausstellen – Đorđe Petrović")).to_be_visible()
        page.goto(live_server + pages(wide_series.id)["enrolment"])
        expect(page.get_by_role("button", name=re.compile(r"ausscheiden lassen\s*: Chiara Conti"))).to_be_visible()
    finally:
        context.close()


def test_overview_on_a_phone_shows_status_attendance_and_module_symbols(new_page, live_server, admin, wide_series):
    phone = new_page("phone")
    sign_in(phone, live_server, admin)
    phone.goto(live_server + pages(wide_series.id)["overview"])
    card = phone.locator("tbody tr").filter(has_text="Ayşe Yılmaz")
    expect(card.locator(".progress-matrix__status")).to_be_visible()
    expect(card.locator(".progress-matrix__status")).to_contain_text("zertifiziert")
    expect(card.locator(".progress-matrix__attendance")).to_be_visible()
    symbols = card.locator(".progress-cell")
    expect(symbols).to_have_count(9)
    for index in range(9):
        box = symbols.nth(index).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert symbols.nth(8).evaluate("el => getComputedStyle(el, '::before').content") == '"M9"'
    expect(symbols.nth(8)).to_contain_text("Modul 9: bestanden")
    assert_accessible(phone, "overview on a phone")


def test_overview_on_a_desktop_keeps_name_and_status_in_view(new_page, live_server, admin, wide_series):
    page = new_page("desktop")
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, live_server, admin)
    page.goto(live_server + pages(wide_series.id)["overview"])
    wrap = page.locator(".progress-matrix-wrap")
    assert wrap.evaluate("el => el.scrollWidth > el.clientWidth")  # nine modules do not fit
    wrap.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    row = page.locator("tbody tr").filter(has_text="Ayşe Yılmaz")
    row.evaluate("el => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 200)")  # down only
    assert wrap.evaluate("el => el.scrollLeft > 0")
    box = wrap.bounding_box()
    for cell in (row.locator(".progress-matrix__name"), row.locator(".progress-matrix__status")):
        cell_box = cell.bounding_box()
        assert box["x"] <= cell_box["x"] and cell_box["x"] + cell_box["width"] <= box["x"] + box["width"]
    # Nothing scrolled under them: what is at the status cell's centre is the status cell.
    status = row.locator(".progress-matrix__status").bounding_box()
    assert row.locator(".progress-matrix__status").evaluate(
        "(el, p) => el.contains(document.elementFromPoint(p.x, p.y))",
        {"x": status["x"] + status["width"] / 2, "y": status["y"] + status["height"] / 2},
    )
    assert_accessible(page, "overview on a desktop")


def test_overview_landmarks_have_unique_names(new_page, live_server, admin, wide_series):
    """axe's best-practice rule landmark-unique (not in the WCAG tag set assert_accessible runs)."""
    from axe_playwright_python.sync_playwright import Axe

    page = new_page("desktop")
    sign_in(page, live_server, admin)
    for path in pages(wide_series.id).values():
        page.goto(live_server + path)
        results = Axe().run(page, options={"runOnly": {"type": "rule", "values": ["landmark-unique", "region"]}})
        assert results.response["violations"] == [], (path, results.response["violations"])


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_the_other_tables_with_actions_fit_too(browser, live_server, admin, wide_series, width):
    extra = dict(WIDTHS[width])
    height = extra.pop("height")
    context = browser.new_context(locale="de-DE", viewport={"width": width, "height": height}, **extra)
    try:
        page = context.new_page()
        sign_in(page, live_server, admin)
        for path in (
            "/verwaltung/nutzer/",
            "/verwaltung/reihen",
            "/verwaltung/regionen",
            f"/training/reihen/{wide_series.id}",
            "/verwaltung/postausgang",
            f"/verwaltung/reihen/{wide_series.id}/zertifikate/gestaltung",
            f"/termine/{wide_series.session_ids[-1]}/anwesenheit",
            f"/termine/{wide_series.session_ids[-1]}/check-in",
        ):
            page.goto(live_server + path)
            assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), f"{path} scrolls sideways"
            outside = [a for a in page.evaluate(ACTIONS) if a["left"] < 0 or a["right"] > width + 0.5]
            assert not outside, f"{path} at {width} px: {outside}"
    finally:
        context.close()
