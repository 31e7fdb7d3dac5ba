"""Mail as people meet it: an invitation followed in Chromium to the first sign-in, the mail itself
rendered as the recipient sees it, and the new pages (Postausgang, settings, forgotten password)
checked with axe at phone, tablet and desktop widths."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, screenshot, sign_in
from tests.mail_support import drain, first_link, mail_settings, parts

pytestmark = pytest.mark.browser

NEW_PASSWORD = "sonnige-wiese-am-fluss"
WIDTHS = {"phone": 390, "tablet": 820, "desktop": 1366}


@pytest.fixture
def app_settings(smtp):
    return {"WTF_CSRF_ENABLED": True} | mail_settings(smtp)


def test_invited_person_sets_password_in_chromium_and_signs_in(app, live_server, new_page, admin, smtp, factory):
    app.config["BASE_URL"] = live_server  # the links in the mail lead to this server
    factory.region_id("Kassel")
    office = new_page("desktop")
    sign_in(office, live_server, admin)
    office.goto(f"{live_server}/verwaltung/nutzer/neu")
    office.get_by_label("E-Mail-Adresse").fill("nele.neu@example.org")
    office.get_by_label("Name").fill("Nele Neu")
    office.get_by_label("Koordinator/in (Teilnehmende)").check()
    office.get_by_label("Gebietskörperschaft").select_option(label="Kassel")
    expect(office.get_by_label("Einladung per E-Mail senden (Link zum Setzen des Passworts, 72 Stunden gültig)")).to_be_checked()
    office.get_by_role("button", name="Speichern").click()
    expect(office.get_by_text("Nele Neu wurde angelegt und erhält eine Einladung an nele.neu@example.org.")).to_be_visible()

    assert drain(app).sent == 1
    [message] = smtp.messages_to("nele.neu@example.org")
    text, html = parts(message)
    link = first_link(text, "/passwort-setzen/")
    assert link.startswith(live_server)

    # The mail as the recipient sees it, on a phone and on a desktop.
    for device in ("phone", "desktop"):
        reader = new_page(device)
        reader.set_content(html)
        expect(reader.get_by_role("link", name="Passwort setzen")).to_have_attribute("href", link)
        screenshot(reader, f"mail-invitation-{device}")

    person = new_page("phone")
    person.goto(link)
    person.get_by_label("Neues Passwort", exact=True).fill(NEW_PASSWORD)
    person.get_by_label("Neues Passwort wiederholen").fill(NEW_PASSWORD)
    person.get_by_role("button", name="Passwort speichern").click()
    expect(person.get_by_text("Ihr Passwort ist gespeichert. Bitte melden Sie sich an.")).to_be_visible()
    person.get_by_label("E-Mail-Adresse").fill("nele.neu@example.org")
    person.get_by_label("Passwort").fill(NEW_PASSWORD)
    with person.expect_navigation():
        person.get_by_role("button", name="Anmelden").click()
    person.wait_for_load_state()
    assert "/anmelden" not in person.url
    expect(person.get_by_role("button", name="Abmelden")).to_be_visible()

    office.goto(f"{live_server}/verwaltung/nutzer/")
    expect(office.get_by_text("aktiv (Passwort gesetzt)").first).to_be_visible()


@pytest.mark.parametrize("device", list(WIDTHS))
def test_mail_pages_are_accessible_at_every_width(app, live_server, browser, admin, device, smtp, factory):
    context = browser.new_context(locale="de-DE", viewport={"width": WIDTHS[device], "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{live_server}/passwort-vergessen")
        assert_accessible(page, "Passwort vergessen")
        screenshot(page, f"forgot-password-{device}")
        page.get_by_label("E-Mail-Adresse").fill("ungueltig")
        with page.expect_navigation():
            page.get_by_role("button", name="Link anfordern").click()
        expect(
            page.get_by_text("Bitte geben Sie eine gültige E-Mail-Adresse ein (z. B. name@example.org).", exact=True)
        ).to_be_visible()
        expect(page.get_by_label("E-Mail-Adresse")).to_have_attribute("aria-invalid", "true")
        page.get_by_label("E-Mail-Adresse").fill(admin.email)
        page.get_by_role("button", name="Link anfordern").click()
        expect(page.get_by_text("Anfrage erhalten")).to_be_visible()

        smtp.refuse("kaputt@example.org")
        factory.user("trainer", email="kaputt@example.org", name="Kai Kaputt", password=None)
        with app.app_context():
            from wirlearn.extensions import db
            from wirlearn.mail.outbox import queue_message

            queue_message("invitation", f"browser-{device}", to_address="kaputt@example.org")
            db.session.commit()
        drain(app)
        sign_in(page, live_server, admin)
        page.goto(f"{live_server}/verwaltung/postausgang")
        expect(page.get_by_role("heading", name="Postausgang")).to_be_visible()
        assert_accessible(page, "Postausgang")
        screenshot(page, f"outbox-{device}")
        page.goto(f"{live_server}/konto/benachrichtigungen")
        page.get_by_role("button", name="Kalender-Adresse erstellen").click()
        expect(page.get_by_label("Adresse zum Abonnieren")).to_have_value(re.compile(r"\.ics$"))
        assert_accessible(page, "E-Mails & Kalender")
        screenshot(page, f"mail-settings-{device}")
    finally:
        context.close()
