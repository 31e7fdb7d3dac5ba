"""LTI in Chromium: a launch from the fake platform (login initiation → the platform's auth page
→ form post of the id_token → wirlearn) lands on the learner's progress page; the admins'
Lernplattformen page on a phone and a desktop."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import assert_accessible, screenshot, sign_in
from tests.lti_platform import CLIENT_ID, DEPLOYMENT_ID, INSTRUCTOR, serve
from wirlearn.audit.models import AuditEvent
from wirlearn.extensions import db
from wirlearn.lti.models import LtiLaunch, LtiUserLink


@pytest.fixture
def app_settings():
    # As in every browser test: CSRF on. BASE_URL empty: addresses follow the live server's port.
    return {"WTF_CSRF_ENABLED": True, "BASE_URL": "", "LTI_KEY_BITS": 2048}


@pytest.fixture
def fake_platform():
    yield from serve()


def _link(app, platform_id: int, sub: str, user_id: int) -> None:
    with app.app_context():
        db.session.add(LtiUserLink(platform_id=platform_id, sub=sub, user_id=user_id))
        db.session.commit()


def _login_url(live_server: str, fake) -> str:
    query = {
        "iss": fake.issuer,
        "login_hint": "hint-7",
        "target_link_uri": f"{live_server}/lti/launch",
        "client_id": CLIENT_ID,
        "lti_deployment_id": DEPLOYMENT_ID,
    }
    return f"{live_server}/lti/login?{urlencode(query)}"


def test_a_learner_launch_from_the_platform_lands_on_the_progress_page(
    app, live_server, phone, fake_platform, coordinator, factory, trainer
):
    factory.series(trainers=(trainer,), coordinators=(coordinator,))
    platform_id = fake_platform.register(app)
    _link(app, platform_id, "moodle-user-7", coordinator.id)
    phone.goto(_login_url(live_server, fake_platform))
    phone.wait_for_url(f"{live_server}/mein-fortschritt")
    expect(phone.get_by_role("heading", level=1).first).to_be_visible()
    assert coordinator.display_name in phone.content()
    # The fake platform saw the authentication request wirlearn sent it.
    auth = fake_platform.received("GET", "/auth")
    assert len(auth) == 1
    assert auth[0]["redirect_uri"] == f"{live_server}/lti/launch" and auth[0]["response_mode"] == "form_post"
    assert len(auth[0]["state"]) >= 40 and len(auth[0]["nonce"]) >= 40
    screenshot(phone, "lti-learner-landing-390")
    assert_accessible(phone, "progress page after an LTI launch")


def test_an_embedded_launch_is_accepted_cross_site_with_the_production_cookies(
    app, live_server, page, fake_platform, coordinator, factory, trainer
):
    """The platform (127.0.0.1) shows wirlearn (localhost, another site) in a frame, with the
    cookies of production: the launch's state cookie (Secure, SameSite=None, Partitioned) comes
    back with the platform's cross-site form post inside the frame, so the launch is accepted.
    (Chromium takes Secure cookies from http://localhost: testable without TLS.) This Chromium
    blocks unpartitioned third-party cookies, so the launched session's cookie is not kept in
    the frame and wirlearn offers the new window, which lands on the progress page."""
    app.config["SESSION_COOKIE_SECURE"] = True
    factory.series(trainers=(trainer,), coordinators=(coordinator,))
    platform_id = fake_platform.register(app)
    _link(app, platform_id, "moodle-user-7", coordinator.id)
    tool = live_server.replace("127.0.0.1", "localhost")
    page.goto(f"{fake_platform.base}/course?{urlencode({'tool': _login_url(tool, fake_platform)})}")
    frame = page.frame_locator("iframe[title='wirlearn']")
    opened = frame.get_by_role("link", name="In neuem Fenster öffnen")
    expect(frame.get_by_text(coordinator.display_name).first.or_(opened)).to_be_visible()
    with app.app_context():
        assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "lti.launch_refused")).all()
        assert db.session.scalars(select(LtiLaunch)).one().handoff_hash is not None  # the launch was accepted
    assert not [c for c in page.context.cookies() if c["name"].startswith("wirlearn-lti-")]  # deleted after use
    if opened.is_visible():
        with page.context.expect_page() as popup:
            opened.click()
        window = popup.value
        window.wait_for_url(f"{tool}/mein-fortschritt")
        expect(window.get_by_text(coordinator.display_name).first).to_be_visible()


def test_a_first_launch_links_the_account_after_signing_in(app, live_server, page, fake_platform, coordinator):
    fake_platform.register(app)
    page.goto(_login_url(live_server, fake_platform))
    page.get_by_role("heading", name="Konto verbinden").wait_for()
    assert_accessible(page, "LTI link page")
    page.get_by_role("link", name="Anmelden und verbinden").click()
    page.get_by_label("E-Mail-Adresse").fill(coordinator.email)
    page.get_by_label("Passwort").fill(coordinator.password)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("button", name="Dieses Konto verbinden").click()
    page.wait_for_url(f"{live_server}/mein-fortschritt")
    with app.app_context():
        assert db.session.query(LtiUserLink).filter_by(user_id=coordinator.id).count() == 1


def test_an_instructor_launch_lands_on_the_trainer_page_of_the_linked_series(
    app, live_server, page, fake_platform, trainer, factory
):
    series = factory.series(trainers=(trainer,))
    platform_id = fake_platform.register(app)
    _link(app, platform_id, "moodle-trainer-1", trainer.id)
    fake_platform.next_claims = {"sub": "moodle-trainer-1", "https://purl.imsglobal.org/spec/lti/claim/roles": [INSTRUCTOR]}
    page.goto(_login_url(live_server, fake_platform))
    page.get_by_label("Qualifizierungsreihe").select_option(str(series.id))
    page.get_by_role("button", name="Reihe übernehmen").click()
    page.wait_for_url(f"{live_server}/training/reihen/{series.id}")


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1366, 900)])
def test_admin_lti_page_fits_phone_and_desktop(app, live_server, new_page, fake_platform, admin, factory, trainer, width, height):
    from wirlearn.lti.models import LtiContext

    series = factory.series(trainers=(trainer,), title="WIR-Qualifizierung 2026/27 – Interkulturelle Öffnung")
    platform_id = fake_platform.register(app)
    with app.app_context():
        db.session.add(
            LtiContext(
                platform_id=platform_id,
                context_id="course-42",
                title="WIR-Qualifizierung 2026 (Moodle-Kurs)",
                series_id=series.id,
                memberships_url=fake_platform.base + "/memberships",
                lineitems_url=fake_platform.base + "/lineitems",
                ags_scopes=[],
            )
        )
        db.session.commit()
    device = "phone" if width < 500 else "desktop"
    browser_page = new_page(device)
    browser_page.set_viewport_size({"width": width, "height": height})
    sign_in(browser_page, live_server, admin)
    browser_page.goto(f"{live_server}/verwaltung/lti")
    expect(browser_page.get_by_role("heading", name="Lernplattformen (LTI)")).to_be_visible()
    assert f"{live_server}/lti/login" in browser_page.content()
    overflow = browser_page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"page is {overflow}px wider than the screen"
    screenshot(browser_page, f"lti-admin-{width}")
    assert_accessible(browser_page, f"Lernplattformen at {width}px")
    browser_page.get_by_role("link", name="Lernplattform registrieren").click()
    browser_page.get_by_role("button", name="Speichern").click()
    expect(browser_page.get_by_text("Bitte geben Sie einen Namen an.").first).to_be_visible()
    screenshot(browser_page, f"lti-platform-form-{width}")
    assert_accessible(browser_page, f"platform form at {width}px")


def test_a_new_learner_creates_an_account_on_a_phone(app, live_server, phone, fake_platform, factory):
    factory.region_id()  # the Gebietskörperschaften exist
    fake_platform.register(app)
    fake_platform.next_claims = {"sub": "moodle-new", "email": "nina@example.org", "name": "Nina Neu"}
    phone.goto(_login_url(live_server, fake_platform))
    phone.get_by_role("heading", name="Konto verbinden").wait_for()
    phone.get_by_role("button", name="Neues Konto anlegen").click()
    expect(phone.get_by_text("Bitte wählen Sie Ihre Gebietskörperschaft.").first).to_be_visible()
    screenshot(phone, "lti-new-account-390")
    assert_accessible(phone, "new account form with an error")
    phone.get_by_label("Ihre Gebietskörperschaft").select_option(label="Kassel")
    phone.get_by_role("button", name="Neues Konto anlegen").click()
    phone.wait_for_url(f"{live_server}/mein-fortschritt")
    assert "Nina Neu" in phone.content()
