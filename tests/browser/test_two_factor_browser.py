"""Two-factor sign-in in a real browser: set up with the QR code, recovery codes, second step."""

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import assert_accessible, screenshot, sign_in
from wirlearn.auth.models import User
from wirlearn.extensions import db

pytestmark = pytest.mark.browser


def test_trainer_sets_up_and_uses_the_second_factor(app, live_server, page, trainer):
    sign_in(page, live_server, trainer)
    page.wait_for_load_state("networkidle")
    page.get_by_role("link", name="Zweiter Faktor").click()
    page.get_by_role("button", name="Einrichtung beginnen").click()
    qr = page.get_by_role("img", name="QR-Code zum Einrichten der Authenticator-App")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] >= 200
    assert_accessible(page, "2FA set-up")
    screenshot(page, "two-factor-setup")
    with app.app_context():
        secret = db.session.scalar(select(User.totp_secret).where(User.id == trainer.id))
    page.get_by_label("Code aus der App").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Einrichten", exact=True).click()
    expect(page.get_by_role("heading", name="Ihre Wiederherstellungscodes")).to_be_visible()
    expect(page.locator(".recovery-codes code")).to_have_count(10)
    assert_accessible(page, "recovery codes")
    screenshot(page, "two-factor-recovery-codes")
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_load_state("networkidle")

    sign_in(page, live_server, trainer)
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", name="Anmeldung bestätigen")).to_be_visible()
    assert_accessible(page, "second step")
    screenshot(page, "two-factor-second-step")
    page.get_by_label("Bestätigungscode").fill(pyotp.TOTP(secret).at(__import__("time").time() + 30))
    page.get_by_role("button", name="Bestätigen").click()
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
    page.wait_for_load_state("networkidle")
