"""A trainer records a session on a tablet; two trainers on one roster cannot overwrite each
other silently; assessments with history; the audit page shows it all."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, screenshot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def today_series(factory, trainer, other_trainer, admin):
    """A series with a session today, trained by both trainers, four participants."""
    people = [
        factory.user("coordinator", name="Ayşe Yılmaz", region="Darmstadt"),
        factory.user("coordinator", name="Đorđe Petrović", region="Kassel"),
        factory.user("coordinator", name="Nguyễn Thị Hương", region="Wiesbaden"),
        factory.user("coordinator", name="Jürgen Weiß", region="Fulda"),
    ]
    series = factory.series(
        trainers=(trainer, other_trainer),
        coordinators=tuple(people),
        days=((0, 7), (-30, -29)),
        title="Change-Manager/in – Jahrgang 2026",
    )
    return series, people


def roster_row(page, name):
    return page.get_by_role("group", name=re.compile(re.escape(name)))


def test_trainer_records_a_session_on_a_tablet(live_server, tablet, trainer, today_series):
    series, people = today_series
    sign_in(tablet, live_server, trainer)
    expect(tablet.get_by_role("heading", name="Meine Termine")).to_be_visible()
    expect(tablet.get_by_text("Heute", exact=True).first).to_be_visible()
    assert_accessible(tablet, "trainer start page")
    screenshot(tablet, "trainer-start")

    tablet.get_by_role("link", name=re.compile("Anwesenheit erfassen")).first.click()
    expect(tablet.get_by_text("Noch nicht erfasst.")).to_be_visible()
    assert_accessible(tablet, "empty roster")
    tablet.get_by_role("button", name="Alle anwesend").click()
    expect(tablet.get_by_text("4 von 4 erfasst")).to_be_visible()
    # Then the exceptions: one tap each.
    roster_row(tablet, "Đorđe Petrović").get_by_text("entschuldigt", exact=True).tap()
    roster_row(tablet, "Jürgen Weiß").get_by_text("verspätet", exact=True).tap()
    tablet.get_by_label("Notiz zu Jürgen Weiß").fill("Zug ausgefallen, 30 Minuten")
    screenshot(tablet, "roster-tablet-filled")
    tablet.get_by_role("button", name="Anwesenheit speichern").click()
    expect(tablet.get_by_text("Anwesenheit gespeichert (4 geänderte Einträge).")).to_be_visible()
    expect(tablet.get_by_text(re.compile("Zuletzt geändert von Tina Trainer am"))).to_be_visible()
    expect(roster_row(tablet, "Đorđe Petrović").get_by_label("entschuldigt", exact=True)).to_be_checked()
    expect(roster_row(tablet, "Jürgen Weiß").get_by_label("Notiz zu Jürgen Weiß")).to_have_value("Zug ausgefallen, 30 Minuten")
    assert_accessible(tablet, "saved roster")
    screenshot(tablet, "roster-tablet-saved")


def test_roster_works_by_keyboard_alone(live_server, page, trainer, today_series):
    series, people = today_series
    sign_in(page, live_server, trainer)
    page.goto(f"{live_server}/termine/{series.session_ids[2]}/anwesenheit")
    first = roster_row(page, "Ayşe Yılmaz").get_by_label("anwesend", exact=True)
    first.focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")  # arrow keys move within the radio group: now "verspätet"
    expect(roster_row(page, "Ayşe Yılmaz").get_by_label("verspätet", exact=True)).to_be_checked()
    page.keyboard.press("Tab")  # to the note field of the same row
    page.keyboard.type("kam später")
    page.keyboard.press("Enter")  # Enter in a note does not send the whole list (issue 13)
    page.wait_for_timeout(300)
    expect(page.get_by_text("Noch nicht erfasst.")).to_be_visible()
    page.get_by_role("button", name="Anwesenheit speichern").focus()
    page.keyboard.press("Enter")  # on the save button it does
    expect(page.get_by_text("Anwesenheit gespeichert (1 geänderter Eintrag).")).to_be_visible()


def test_two_trainers_cannot_overwrite_each_other(live_server, new_page, trainer, other_trainer, admin, today_series):
    series, people = today_series
    session_id = series.session_ids[2]
    url = f"{live_server}/termine/{session_id}/anwesenheit"
    tina = new_page("tablet")
    otto = new_page("tablet")
    sign_in(tina, live_server, trainer)
    sign_in(otto, live_server, other_trainer)
    tina.goto(url)
    otto.goto(url)

    # Otto saves first: Đorđe excused, Nguyễn present.
    roster_row(otto, "Đorđe Petrović").get_by_text("entschuldigt", exact=True).tap()
    otto.get_by_label("Notiz zu Đorđe Petrović").fill("Attest liegt vor")
    roster_row(otto, "Nguyễn Thị Hương").get_by_text("anwesend", exact=True).tap()
    otto.get_by_role("button", name="Anwesenheit speichern").click()
    expect(otto.get_by_text("Anwesenheit gespeichert (2 geänderte Einträge).")).to_be_visible()

    # Tina, on the page loaded before, marks Đorđe absent and Ayşe present.
    roster_row(tina, "Đorđe Petrović").get_by_text("unentschuldigt", exact=True).tap()
    roster_row(tina, "Ayşe Yılmaz").get_by_text("anwesend", exact=True).tap()
    tina.get_by_role("button", name="Anwesenheit speichern").click()
    alert = tina.locator("#konflikt")
    expect(
        alert.get_by_text(
            "Die Liste wurde inzwischen von Otto Fremdtrainer geändert. Ihre Eingaben wurden noch nicht gespeichert."
        )
    ).to_be_visible()
    expect(alert.get_by_role("link", name="Đorđe Petrović")).to_be_visible()
    expect(alert.get_by_role("link", name="Nguyễn Thị Hương")).to_be_visible()
    expect(alert).to_contain_text("Attest liegt vor")
    # Her own choices are kept; the row she left alone shows Otto's value.
    expect(roster_row(tina, "Đorđe Petrović").get_by_label("unentschuldigt", exact=True)).to_be_checked()
    expect(roster_row(tina, "Ayşe Yılmaz").get_by_label("anwesend", exact=True)).to_be_checked()
    expect(roster_row(tina, "Nguyễn Thị Hương").get_by_label("anwesend", exact=True)).to_be_checked()
    expect(roster_row(tina, "Đorđe Petrović").get_by_text(re.compile("Auch geändert von Otto Fremdtrainer"))).to_be_visible()
    assert_accessible(tina, "roster with conflict")
    screenshot(tina, "roster-conflict")

    # She decides deliberately and saves again.
    tina.get_by_role("button", name="Anwesenheit speichern").click()
    expect(tina.get_by_text("Anwesenheit gespeichert (2 geänderte Einträge).")).to_be_visible()
    expect(roster_row(tina, "Đorđe Petrović").get_by_label("unentschuldigt", exact=True)).to_be_checked()
    expect(roster_row(tina, "Nguyễn Thị Hương").get_by_label("anwesend", exact=True)).to_be_checked()

    # The audit page shows both trainers' changes, before → after.
    admin_page = new_page("desktop")
    sign_in(admin_page, live_server, admin)
    admin_page.get_by_role("link", name="Protokoll").click()
    admin_page.get_by_label("Termin").select_option(str(session_id))
    with admin_page.expect_navigation():
        admin_page.get_by_role("button", name="Filtern").click()
    table = admin_page.locator("table.audit-table")
    expect(table.get_by_text("Otto Fremdtrainer")).to_have_count(2)
    expect(table.get_by_text("Tina Trainer")).to_have_count(2)
    row = table.locator("tr", has_text="Anwesenheit geändert")
    expect(row).to_contain_text("entschuldigt → unentschuldigt")
    assert_accessible(admin_page, "audit page")
    screenshot(admin_page, "audit-page")


def test_trainer_records_assessments_with_history(live_server, tablet, trainer, today_series):
    series, people = today_series
    points_module = series.module_ids[1]
    sign_in(tablet, live_server, trainer)
    tablet.goto(f"{live_server}/module/{points_module}/bewertungen")
    tablet.get_by_label("Punkte (0–100) für Ayşe Yılmaz").fill("72,5")
    tablet.get_by_label("Rückmeldung für Ayşe Yılmaz").fill("Sehr gute Stakeholder-Analyse.")
    tablet.get_by_label("Punkte (0–100) für Đorđe Petrović").fill("120")
    tablet.get_by_role("button", name="Bewertungen speichern").click()
    expect(tablet.get_by_text("Die Bewertungen enthalten ungültige Angaben. Es wurde nichts gespeichert.")).to_be_visible()
    expect(tablet.get_by_text("Die Punkte müssen zwischen 0 und 100 liegen.").first).to_be_visible()
    expect(tablet.get_by_label("Punkte (0–100) für Ayşe Yılmaz")).to_have_value("72,5")
    assert_accessible(tablet, "assessments with errors")
    tablet.get_by_label("Punkte (0–100) für Đorđe Petrović").fill("48")
    tablet.get_by_role("button", name="Bewertungen speichern").click()
    expect(tablet.get_by_text("Bewertungen gespeichert (2 neu erfasst).")).to_be_visible()
    # Re-assessment: the earlier result stays in the history.
    tablet.get_by_label("Punkte (0–100) für Đorđe Petrović").fill("64")
    with tablet.expect_navigation():
        tablet.get_by_role("button", name="Bewertungen speichern").click()
    row = tablet.get_by_role("group", name=re.compile("Đorđe Petrović"))
    expect(row.locator(".assessment-row__current")).to_contain_text("bestanden")
    expect(row.locator(".assessment-row__current")).not_to_contain_text("nicht bestanden")
    row.get_by_text("Verlauf: 1 frühere Bewertung").click()
    expect(row.locator(".history")).to_contain_text("nicht bestanden")
    assert_accessible(tablet, "assessments")
    screenshot(tablet, "assessments-tablet")


def test_admin_overview_and_roster_on_a_phone_are_accessible(live_server, page, phone, admin, trainer, today_series):
    series, people = today_series
    sign_in(page, live_server, admin)
    page.get_by_role("link", name="Termine und Bewertungen").click()
    expect(page.get_by_role("heading", name="Termine und Bewertungen", level=1)).to_be_visible()
    assert_accessible(page, "admin overview")
    page.get_by_role("link", name="Change-Manager/in – Jahrgang 2026").click()
    expect(page.get_by_role("heading", name="Change-Manager/in – Jahrgang 2026", level=1)).to_be_visible()
    assert_accessible(page, "series overview")
    screenshot(page, "trainer-series-overview")

    sign_in(phone, live_server, trainer)
    phone.goto(f"{live_server}/termine/{series.session_ids[2]}/anwesenheit")
    roster_row(phone, "Ayşe Yılmaz").get_by_text("verspätet", exact=True).tap()
    expect(phone.get_by_text("1 von 4 erfasst")).to_be_visible()
    assert_accessible(phone, "roster on a phone")
    screenshot(phone, "roster-phone")
