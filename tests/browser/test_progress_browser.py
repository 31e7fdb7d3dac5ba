"""Progress in a real browser: a coordinator on a phone, the programme office on a desktop."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, screenshot, sign_in
from wirlearn.core.timeutil import local_today
from wirlearn.demo import data
from wirlearn.demo.seed import coordinator_email, seed_demo
from wirlearn.extensions import db
from wirlearn.programme.models import Region

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(app):
    """The demo programme, seeded as of tomorrow (stable whatever the time of day)."""
    with app.app_context():
        seed_demo(today=local_today() + timedelta(days=1))
        db.session.commit()

        def person(name: str):
            index = data.COORDINATOR_NAMES.index(name)
            regions = [
                r
                for r in db.session.scalars(db.select(Region).order_by(Region.code.nulls_last(), Region.name))
                if r.name != data.UNCOVERED_REGION
            ]
            return SimpleNamespace(email=coordinator_email(name, regions[index]), password=data.DEMO_PASSWORD)

        return {
            "admin": SimpleNamespace(email=data.ADMIN[0], password=data.DEMO_PASSWORD),
            "trainer": SimpleNamespace(email=data.TRAINERS[0][0], password=data.DEMO_PASSWORD),
            "complete": person("Ayşe Yılmaz"),
            "failed": person("Hatice Çelik"),
            "under": person("Amira Ben Salah"),
        }


def test_coordinator_sees_progress_and_missing_items_on_a_phone(live_server, phone, demo):
    sign_in(phone, live_server, demo["under"])
    assert phone.url.endswith("/mein-fortschritt")
    expect(phone.get_by_role("heading", name="Mein Fortschritt", level=1)).to_be_visible()
    expect(phone.get_by_text("Die Mindestanwesenheit ist nicht mehr erreichbar.")).to_be_visible()
    missing = phone.get_by_role("heading", name="Was noch fehlt")
    missing.scroll_into_view_if_needed()
    expect(missing).to_be_visible()
    expect(phone.get_by_text("Mindestanwesenheit nicht mehr erreichbar", exact=False).first).to_be_visible()
    expect(phone.get_by_role("heading", name="Nächste Termine")).to_be_visible()
    # Nothing wider than the phone: no sideways scrolling.
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The sessions of a module open with a tap.
    phone.get_by_text("Termine einzeln").first.click()
    sessions = phone.locator("details[open] .progress-sessions li")
    expect(sessions).to_have_count(2)
    expect(sessions.first).to_be_visible()
    assert any(word in sessions.first.inner_text() for word in ("anwesend", "verspätet", "entschuldigt"))
    assert_accessible(phone, "coordinator dashboard (phone)")
    screenshot(phone, "progress-dashboard-phone")


def test_coordinator_with_a_failed_module_on_a_phone(live_server, phone, demo):
    sign_in(phone, live_server, demo["failed"])
    expect(phone.get_by_text("Modul 5: Bewertung steht noch aus").or_(phone.get_by_text("nicht bestanden")).first).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(phone, "coordinator dashboard with a missing module (phone)")
    screenshot(phone, "progress-dashboard-phone-missing")


def test_overview_with_a_filter_on_a_desktop(live_server, page, demo):
    sign_in(page, live_server, demo["admin"])
    assert page.url.endswith("/programm")
    expect(page.get_by_role("heading", name="Programmübersicht")).to_be_visible()
    expect(page.get_by_text("32 von 33")).to_be_visible()
    expect(page.locator(".progress-matrix tbody tr")).to_have_count(32)
    assert_accessible(page, "programme overview")
    screenshot(page, "progress-overview-desktop")

    page.get_by_label("Status").select_option(label="Mindestanwesenheit nicht erreichbar")
    with page.expect_navigation():
        page.get_by_role("button", name="Anwenden").click()
    page.wait_for_load_state()
    expect(page.get_by_text("4 von 32 Teilnehmenden angezeigt")).to_be_visible()
    expect(page.locator(".progress-matrix tbody tr")).to_have_count(4)
    expect(page.get_by_label("Status")).to_have_value("unreachable")
    # Sorting by attendance from the column header keeps the filter.
    with page.expect_navigation():
        page.get_by_role("link", name="Anwesenheit (sortieren)").click()
    page.wait_for_load_state()
    assert "status=unreachable" in page.url and "sort=attendance" in page.url
    expect(page.locator(".progress-matrix tbody tr")).to_have_count(4)
    assert_accessible(page, "programme overview, filtered")
    screenshot(page, "progress-overview-filtered")

    with page.expect_navigation():
        page.locator(".progress-matrix tbody tr").first.get_by_role("link").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Was noch fehlt")).to_be_visible()
    assert_accessible(page, "participant page")
    screenshot(page, "progress-participant")


def test_trainer_overview_on_a_tablet(live_server, tablet, demo):
    sign_in(tablet, live_server, demo["trainer"])
    tablet.goto(f"{live_server}/programm")
    expect(tablet.get_by_role("heading", name="Programmübersicht")).to_be_visible()
    assert_accessible(tablet, "programme overview (trainer, tablet)")
    screenshot(tablet, "progress-overview-tablet")
