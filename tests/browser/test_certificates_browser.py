"""Certificates in a real browser: the QR code decoded from the rendered PDF opens a page that
says "Gültig" on a phone; every state of the verification page passes axe; an admin issues a
whole series; a holder finds download and share links."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import update

from tests.browser.conftest import assert_accessible, screenshot, sign_in
from tests.certificate_support import enrollment_id, issue, make_eligible, signing_key_dir  # noqa: F401
from wirlearn.certificates import services
from wirlearn.core.timeutil import utcnow
from wirlearn.extensions import db
from wirlearn.programme.models import Series

pytestmark = pytest.mark.browser


@pytest.fixture
def app_settings(signing_key_dir):  # noqa: F811 - the fixture imported above
    return {"WTF_CSRF_ENABLED": True, "SIGNING_KEY_DIR": str(signing_key_dir)}


@pytest.fixture
def served(app, live_server):
    """The live server is the public address: QR codes must point to it."""
    app.config["BASE_URL"] = live_server
    return live_server


def test_qr_code_from_the_pdf_opens_gueltig_on_a_phone(app, served, phone, programme, coordinator, tmp_path):
    make_eligible(app, programme["main"], coordinator)
    code = issue(app, programme["main"], coordinator)
    with app.app_context():
        (tmp_path / "z.pdf").write_bytes(services.pdf_bytes(services.certificate_by_code(code)))
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp_path / "z.pdf"), str(tmp_path / "page")], check=True)
    image = Image.open(tmp_path / "page.png")
    image.save(screenshot_path("certificate-pdf"))
    decoded = zxingcpp.read_barcodes(image)
    assert [item.text for item in decoded] == [f"{served}/v/{code}"]

    phone.goto(decoded[0].text)
    expect(phone.get_by_role("heading", name="Gültig", exact=True)).to_be_visible()
    expect(phone.get_by_text("Ayşe Yılmaz")).to_be_visible()
    # Fits the phone: nothing scrolls sideways.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(phone, "verification page, valid")
    screenshot(phone, "verify-valid-phone")

    with phone.expect_navigation():
        phone.get_by_role("link", name="English").click()
    phone.wait_for_load_state()
    expect(phone.get_by_role("heading", name="Valid", exact=True)).to_be_visible()
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    assert phone.context.cookies() == []
    assert_accessible(phone, "verification page, English")


def screenshot_path(name: str):
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"


def test_other_states_on_a_phone(app, served, phone, factory, programme, admin, coordinator, other_coordinator, monkeypatch):
    series = programme["main"]
    make_eligible(app, series, coordinator)
    make_eligible(app, series, other_coordinator)
    revoked = issue(app, series, coordinator)
    old = issue(app, series, other_coordinator)
    with app.app_context():
        services.revoke_certificate(revoked, "Irrtum", revoked_by_id=admin.id)
        new = services.reissue_certificate(
            old, issued_by_id=admin.id, holder_name="Đorđe Petrović-Schmidt", link_successor=True
        ).code
        db.session.commit()
    expiring = factory.series(coordinators=(coordinator,), validity_months=6)
    make_eligible(app, expiring, coordinator)
    monkeypatch.setattr(services, "utcnow", lambda: utcnow().replace(microsecond=0) - timedelta(days=400))
    expired = issue(app, expiring, coordinator)
    monkeypatch.undo()

    for name, code, heading in (
        ("revoked", revoked, "Widerrufen am"),
        ("superseded", old, "Ersetzt durch"),
        ("expired", expired, "Abgelaufen am"),
    ):
        phone.goto(f"{served}/v/{code.lower()}")
        assert phone.locator("h1").inner_text().startswith(heading)
        assert_accessible(phone, f"verification page, {name}")
        screenshot(phone, f"verify-{name}-phone")
    phone.goto(f"{served}/v/{old}")
    with phone.expect_navigation():
        phone.get_by_role("link", name="Zum neuen Zertifikat").click()
    phone.wait_for_load_state()
    assert phone.url.endswith(f"/v/{new}")
    expect(phone.get_by_role("heading", name="Gültig", exact=True)).to_be_visible()

    response = phone.goto(f"{served}/v/nicht-vorhanden")
    assert response.status == 404
    expect(phone.get_by_role("heading", name="Unbekannter Code")).to_be_visible()
    assert_accessible(phone, "verification page, unknown")
    screenshot(phone, "verify-unknown-phone")
    phone.get_by_label("Prüfcode").fill(new.lower()[:12] + "-" + new.lower()[12:])
    with phone.expect_navigation():
        phone.get_by_role("button", name="Prüfen").click()
    phone.wait_for_load_state()
    expect(phone.get_by_role("heading", name="Gültig", exact=True)).to_be_visible()


def test_admin_issues_a_whole_series_and_revokes_one(app, served, page, programme, admin, coordinator, other_coordinator):
    series = programme["main"]
    make_eligible(app, series, coordinator)
    make_eligible(app, series, other_coordinator)
    sign_in(page, served, admin)
    page.goto(f"{served}/verwaltung/reihen/{series.id}")
    with page.expect_navigation():
        page.get_by_role("link", name="Zertifikate", exact=True).click()
    page.wait_for_load_state()
    assert_accessible(page, "certificates of a series")
    screenshot(page, "certificates-series-before")
    page.get_by_role("link", name="Zertifikate für alle 2 Berechtigten ausstellen …").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Ja, 2 Zertifikate ausstellen").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Fertig: 2 ausgestellt, 0 nicht ausgestellt.")).to_be_visible()
    assert_accessible(page, "batch issuing")
    screenshot(page, "certificates-batch")
    with page.expect_navigation():
        page.get_by_role("link", name="Zurück zur Übersicht").click()
    page.wait_for_load_state()
    screenshot(page, "certificates-series-after")
    expect(page.get_by_role("link", name="Alle PDFs als ZIP")).to_be_visible()
    with page.expect_navigation():
        page.locator("table a[href*='/verwaltung/zertifikate/']").first.click()
    page.wait_for_load_state()
    assert_accessible(page, "certificate detail")
    page.get_by_label("Grund des Widerrufs").fill("Teilnahme nachträglich aberkannt")
    with page.expect_navigation():
        page.get_by_role("button", name="Zertifikat widerrufen").click()
    page.wait_for_load_state()
    expect(page.get_by_text("ist widerrufen")).to_be_visible()
    screenshot(page, "certificate-detail-revoked")


def test_holder_finds_download_and_share_links_on_a_phone(app, served, phone, programme, coordinator):
    with app.app_context():
        db.session.execute(update(Series).where(Series.id == programme["main"].id).values(validity_months=36))
        db.session.commit()
    make_eligible(app, programme["main"], coordinator)
    code = issue(app, programme["main"], coordinator)
    sign_in(phone, served, coordinator)
    # The start page (progress dashboard) carries the links in its certificate card.
    expect(phone.get_by_role("heading", name="Mein Fortschritt", level=1)).to_be_visible()
    expect(phone.get_by_role("link", name="PDF herunterladen")).to_be_visible()
    expect(phone.get_by_role("link", name="Digitalen Nachweis herunterladen")).to_be_visible()
    assert_accessible(phone, "dashboard with certificate links")
    screenshot(phone, "certificates-dashboard-phone")
    phone.goto(f"{served}/zertifikate")
    expect(phone.get_by_role("link", name="PDF herunterladen")).to_be_visible()
    expect(phone.get_by_label("Link zum Teilen (Prüfseite)")).to_have_value(f"{served}/v/{code}")
    assert_accessible(phone, "my certificates")
    screenshot(phone, "certificates-mine-phone")
    expect(phone.get_by_role("link", name="Zum LinkedIn-Profil hinzufügen")).to_be_visible()
    expect(phone.get_by_role("link", name="Drucken")).to_be_visible()
    with phone.expect_download() as download:
        phone.get_by_role("link", name="PDF herunterladen").click()
    assert download.value.suggested_filename.startswith("zertifikat-ayse-yilmaz-")


def test_design_page_at_three_widths_and_the_issuer_profile(app, served, new_page, programme, admin, coordinator, tmp_path):
    """The programme office sets up the design (upload, signatories) in the browser; the page
    passes axe on a phone, a tablet and a desktop; the issuer profile page a credential names
    passes too."""
    from tests.certificate_support import png_bytes

    series = programme["main"]
    logo = tmp_path / "logo.png"
    logo.write_bytes(png_bytes(300, 100))
    for device, width in (("phone", 390), ("tablet", 820), ("desktop", 1366)):
        page = new_page(device)
        sign_in(page, served, admin)
        page.goto(f"{served}/verwaltung/reihen/{series.id}/zertifikate")
        with page.expect_navigation():
            page.get_by_role("link", name="Gestaltung", exact=True).click()
        page.wait_for_load_state()
        expect(page.get_by_role("heading", name="Gestaltung des Zertifikats")).to_be_visible()
        if device == "desktop":
            page.get_by_label("Logos hinzufügen").set_input_files(str(logo))
            page.locator("#name_1").fill("Dr. Maria Beispiel")
            page.locator("#function_1").fill("Staatssekretärin")
            with page.expect_navigation():
                page.get_by_role("button", name="Gestaltung speichern").click()
            page.wait_for_load_state()
            expect(page.get_by_text("Die Gestaltung ist gespeichert.")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert_accessible(page, f"certificate design, {device}")
        screenshot(page, f"certificate-design-{device}")

    make_eligible(app, series, coordinator)
    issue(app, series, coordinator)
    page = new_page("phone")
    page.goto(f"{served}/ob/issuers/{series.id}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.context.cookies() == []
    assert_accessible(page, "issuer profile")
    screenshot(page, "issuer-profile-phone")
