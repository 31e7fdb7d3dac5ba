"""Feedback where the eye is: after saving a session far down a series page the confirmation is
on screen where the page lands; a form sent back with errors shows its summary at the top of the
form, on screen and focused (also on a phone, for a form far down the page)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, sign_in
from tests.certificate_support import enrollment_id, make_eligible, signing_key_dir  # noqa: F401 - fixture
from wirlearn.certificates import services
from wirlearn.extensions import db

pytestmark = pytest.mark.browser

IN_VIEW = "el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; }"


@pytest.fixture
def app_settings(signing_key_dir):  # noqa: F811 - the fixture imported above
    return {"WTF_CSRF_ENABLED": True, "SIGNING_KEY_DIR": str(signing_key_dir)}


def test_a_saved_session_is_confirmed_where_the_page_lands(new_page, live_server, factory, admin, trainer):
    modules = tuple({"title": f"Modul {n}"} for n in range(1, 9))
    series = factory.series(trainers=(trainer,), modules=modules, days=tuple((10 * n, 10 * n + 1) for n in range(8)))
    page = new_page("desktop")
    sign_in(page, live_server, admin)
    page.goto(f"{live_server}/verwaltung/module/{series.module_ids[-1]}/termine/neu")
    day = page.get_by_label("Datum")
    day.fill("2027-03-12" if day.get_attribute("type") == "date" else "12.03.2027")
    page.get_by_label("Beginn (Uhrzeit)").fill("09:00")
    page.get_by_label("Ende (Uhrzeit)").fill("16:00")
    with page.expect_navigation():
        page.get_by_role("button", name="Speichern").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"#modul-{series.module_ids[-1]}")
    assert page.evaluate("window.scrollY") > 500  # the page did jump down to the module
    message = page.get_by_text("Termin angelegt.")
    assert message.evaluate(IN_VIEW)
    assert page.evaluate("document.activeElement.classList.contains('flash-at-anchor')")


def test_an_empty_revocation_reason_is_reported_on_screen_and_focused(new_page, live_server, app, admin, programme, coordinator):
    make_eligible(app, programme["main"], coordinator)
    with app.app_context():
        code = services.issue_certificate(enrollment_id(app, programme["main"], coordinator), issued_by_id=admin.id).code
        db.session.commit()
    phone = new_page("phone")
    sign_in(phone, live_server, admin)
    phone.goto(f"{live_server}/verwaltung/zertifikate/{code}")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Zertifikat widerrufen").click()
    phone.wait_for_load_state()
    summary = phone.locator("#revoke-errors")
    expect(summary).to_contain_text("Bitte geben Sie einen Grund für den Widerruf an.")
    assert summary.evaluate(IN_VIEW)
    assert phone.evaluate("document.activeElement.id") == "revoke-errors"
    assert_accessible(phone, "certificate page with a revocation error")


def test_every_form_summary_takes_the_focus(new_page, live_server, admin):
    page = new_page("desktop")
    sign_in(page, live_server, admin)
    page.goto(f"{live_server}/verwaltung/nutzer/neu")
    with page.expect_navigation():
        page.get_by_role("button", name="Speichern").click()
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert page.locator("[data-error-summary]").evaluate(IN_VIEW)


def test_new_pages_pass_axe(new_page, live_server, app, admin, programme, coordinator, other_coordinator):
    make_eligible(app, programme["main"], coordinator)
    make_eligible(app, programme["main"], other_coordinator)
    with app.app_context():
        services.issue_certificate(enrollment_id(app, programme["main"], coordinator), issued_by_id=admin.id)
        db.session.commit()
    phone = new_page("phone")
    for path in ("/barrierefreiheit", "/leichte-sprache"):
        phone.goto(live_server + path)
        assert phone.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
        assert_accessible(phone, path)
    sign_in(phone, live_server, coordinator)
    expect(phone.get_by_role("heading", name="Ihr Zertifikat ist ausgestellt.")).to_be_visible()
    assert phone.get_by_role("link", name="PDF herunterladen").evaluate(IN_VIEW)  # without scrolling
    assert_accessible(phone, "dashboard with an issued certificate")
    desktop = new_page("desktop")
    sign_in(desktop, live_server, admin)
    desktop.goto(f"{live_server}/verwaltung/reihen/{programme['main'].id}/zertifikate")
    desktop.get_by_role("link", name="Zertifikat für 1 berechtigte Person ausstellen …").click()
    expect(desktop.get_by_role("button", name="Ja, 1 Zertifikat ausstellen")).to_be_visible()
    expect(desktop.locator("ol.batch-names")).to_contain_text("Đorđe Petrović")
    assert_accessible(desktop, "batch confirmation")


def test_the_revocation_error_is_in_view_without_javascript_too(browser, live_server, app, admin, programme, coordinator):
    from tests.browser.conftest import PHONE

    make_eligible(app, programme["main"], coordinator)
    with app.app_context():
        code = services.issue_certificate(enrollment_id(app, programme["main"], coordinator), issued_by_id=admin.id).code
        db.session.commit()
    context = browser.new_context(locale="de-DE", java_script_enabled=False, **PHONE)
    try:
        phone = context.new_page()
        sign_in(phone, live_server, admin)
        phone.goto(f"{live_server}/verwaltung/zertifikate/{code}")
        with phone.expect_navigation():
            phone.get_by_role("button", name="Zertifikat widerrufen").click()
        phone.wait_for_load_state()
        assert phone.url.endswith("#revoke-errors")  # the answer opens at the summary
        # KERN scrolls smoothly: give the jump up to three seconds to arrive.
        summary = phone.locator("#revoke-errors")
        for _attempt in range(30):
            if summary.evaluate(IN_VIEW):
                break
            phone.wait_for_timeout(100)
        assert summary.evaluate(IN_VIEW)
    finally:
        context.close()
