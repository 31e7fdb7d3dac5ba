"""Each role signs in in a real browser and lands on its start page, in German."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_login_page_is_german_and_accessible(live_server, page):
    page.goto(f"{live_server}/anmelden")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
    assert_accessible(page, "Anmeldung")
    screenshot(page, "login")


@pytest.mark.parametrize("role", ["admin", "trainer", "coordinator"])
def test_each_role_lands_on_its_start_page(live_server, page, request, role):
    user = request.getfixturevalue(role)
    sign_in(page, live_server, user)
    assert "/anmelden" not in page.url
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
    expect(page.locator("h1").first).to_be_visible()
    assert_accessible(page, f"start page of {role}")
    screenshot(page, f"start-{role}")


def test_wrong_password_shows_german_message(live_server, page, coordinator):
    sign_in(page, live_server, coordinator, password="falsches-passwort")
    expect(page.get_by_text("E-Mail-Adresse oder Passwort ist falsch.")).to_be_visible()


def test_admin_form_shows_validation_errors(live_server, page, admin):
    sign_in(page, live_server, admin)
    page.goto(f"{live_server}/verwaltung/reihen/neu")
    page.get_by_label("Mindestanwesenheit über alle Termine (%)").fill("120")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Bitte korrigieren Sie die markierten Angaben. Es wurde nichts gespeichert.")).to_be_visible()
    expect(page.get_by_label("Titel der Reihe")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "series form with errors")
    screenshot(page, "admin-form-errors")


def test_english_switch(live_server, page, admin):
    page.goto(f"{live_server}/anmelden")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
