"""Marks the server refuses after a roll call without a network: the banner lists them apart
from the waiting ones with the server's reason, the trainer discards them (confirmed inline,
by keyboard) or follows the link to the roster and enters them again online."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import assert_accessible, screenshot
from tests.browser.test_seminar_browser import open_roster_and_go_offline, roster_row, saved_statuses, seminar  # noqa: F401
from wirlearn.core.timeutil import local_now
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Module, Session

pytestmark = pytest.mark.browser

KEPT = "new Promise((ok, fail) => { const r = indexedDB.open('wirlearn-offline', 1); r.onsuccess = () => { const q = r.result.transaction('pending').objectStore('pending').getAll(); q.onsuccess = () => { ok(q.result); r.result.close(); }; q.onerror = () => fail(q.error); }; r.onerror = () => fail(r.error); })"


def kept_on_device(page):
    return page.evaluate(KEPT)


def withdraw(app, session_id, user):
    with app.app_context():
        series_id = db.session.scalar(
            select(Module.series_id).join(Session, Session.module_id == Module.id).where(Session.id == session_id)
        )
        enrollment = db.session.scalar(select(Enrollment).where(Enrollment.series_id == series_id, Enrollment.user_id == user.id))
        enrollment.status = "withdrawn"
        db.session.commit()


def move_to_tomorrow(app, session_id):
    with app.app_context():
        session = db.session.get(Session, session_id)
        session.date = local_now().date() + timedelta(days=1)
        db.session.commit()


def test_a_refused_mark_is_listed_with_its_reason_and_discarded(app, live_server, phone, trainer, seminar):  # noqa: F811
    _series, session_id, _people = seminar
    page = phone
    open_roster_and_go_offline(page, live_server, trainer, session_id)
    roster_row(page, "Ayşe Yılmaz").get_by_text("anwesend", exact=True).tap()
    banner = page.locator(".offline-banner")
    expect(banner).to_contain_text("Offline – 1 Änderung wartet auf Übertragung")
    page.goto(f"{live_server}/training")  # the kept start page, still without a network
    expect(banner).to_contain_text("1 Änderung wartet auf Übertragung")

    # Meanwhile the office moves the session to tomorrow: "anwesend" cannot be recorded.
    move_to_tomorrow(app, session_id)
    page.context.set_offline(False)
    expect(banner).to_contain_text("1 Änderung wurde abgelehnt", timeout=15_000)
    expect(banner).not_to_contain_text("warten auf Übertragung")
    expect(banner).not_to_contain_text("wartet auf Übertragung")
    item = banner.get_by_role("listitem").filter(has_text="Grundlagen")
    expect(item).to_contain_text(re.compile(r"Grund: Der Termin beginnt erst am \d\d\.\d\d\.\d{4} um \d\d:\d\d Uhr\."))
    expect(item).to_contain_text("Ayşe Yılmaz – anwesend")
    assert saved_statuses(app, session_id) == ([], 0, 0)
    expect(page.locator("html")).to_have_attribute("data-offline-pending", "0")
    assert [entry["refused"]["status"] for entry in kept_on_device(page)] == [422]

    # Opening a page again does not send the refused marks once more.
    requests = []
    page.on(
        "request",
        lambda request: requests.append(request) if "/attendance" in request.url and request.method == "PUT" else None,
    )
    page.reload()
    expect(banner).to_contain_text("1 Änderung wurde abgelehnt")
    page.wait_for_timeout(500)
    assert requests == []

    assert_accessible(page, "refused offline marks (phone)")
    screenshot(page, "offline-refused-390")
    page.set_viewport_size({"width": 1366, "height": 900})
    screenshot(page, "offline-refused-1366")
    page.set_viewport_size({"width": 390, "height": 844})

    # By keyboard: "Verwerfen" asks first; "Abbrechen" keeps the entry.
    discard = page.get_by_role("button", name=re.compile(r"^Verwerfen: Grundlagen, .* – Ayşe Yılmaz$"))
    discard.focus()
    page.keyboard.press("Enter")
    question = item.get_by_text(re.compile("Die abgelehnten Eingaben zu „Grundlagen, .*“ verwerfen?"))
    expect(question).to_be_focused()
    expect(page.get_by_role("group", name=re.compile("verwerfen\\?"))).to_be_visible()
    assert_accessible(page, "refused offline marks, confirming")
    page.get_by_role("button", name=re.compile("^Abbrechen")).click()
    expect(discard).to_be_focused()
    assert len(kept_on_device(page)) == 1

    discard.click()
    page.keyboard.press("Tab")
    yes = page.get_by_role("button", name=re.compile(r"^Ja, verwerfen: Grundlagen, .* – Ayşe Yılmaz$"))
    expect(yes).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="wurden verworfen")).to_have_text(
        re.compile(r"Die abgelehnten Eingaben zu „Grundlagen, .*“ wurden verworfen\.")
    )
    expect(banner).to_be_hidden()
    assert kept_on_device(page) == []
    expect(page.locator("html")).to_have_attribute("data-offline-refused", "0")
    page.reload()
    expect(page.locator("html[data-offline-refused='0']")).to_have_count(1)
    expect(banner).to_be_hidden()
    assert saved_statuses(app, session_id) == ([], 0, 0)


def test_the_link_leads_to_the_roster_where_the_marks_are_entered_again(app, live_server, tablet, trainer, seminar):  # noqa: F811
    _series, session_id, people = seminar
    page = tablet
    roster_url = open_roster_and_go_offline(page, live_server, trainer, session_id)
    roster_row(page, "Ayşe Yılmaz").get_by_text("anwesend", exact=True).tap()
    roster_row(page, "Đorđe Petrović").get_by_text("verspätet", exact=True).tap()
    banner = page.locator(".offline-banner")
    expect(banner).to_contain_text("Offline – 2 Änderungen warten auf Übertragung")
    page.goto(f"{live_server}/training")

    # Đorđe left the series while Tina was offline: the whole list is refused.
    withdraw(app, session_id, people[1])
    page.context.set_offline(False)
    expect(banner).to_contain_text("2 Änderungen wurden abgelehnt", timeout=15_000)
    expect(banner).to_contain_text("Đorđe Petrović – verspätet: Diese Person ist in dieser Reihe nicht (mehr) eingeschrieben.")
    assert_accessible(page, "refused offline marks (tablet)")

    page.get_by_role("link", name=re.compile(r"^Zur Anwesenheitsliste: Grundlagen, ")).click()
    expect(page).to_have_url(roster_url)
    expect(page.locator(".roster-offline-note")).to_contain_text("wurde abgelehnt")
    # Ayşe's mark is filled in again; Đorđe is no longer on the list.
    expect(roster_row(page, "Ayşe Yılmaz").get_by_label("anwesend", exact=True)).to_be_checked()
    expect(roster_row(page, "Đorđe Petrović")).to_have_count(0)
    expect(banner.get_by_role("link", name=re.compile("Zur Anwesenheitsliste"))).to_have_count(0)  # already here
    assert_accessible(page, "roster with refused marks filled in again")
    with page.expect_navigation():
        page.get_by_role("button", name="Anwesenheit speichern").click()
    expect(page.get_by_text("Anwesenheit gespeichert (1 geänderter Eintrag).")).to_be_visible()
    assert saved_statuses(app, session_id)[0] == ["present"]
    assert kept_on_device(page) == []
    expect(banner).to_be_hidden()


def test_marks_for_a_session_that_is_gone_can_only_be_discarded(app, live_server, phone, trainer, seminar):  # noqa: F811
    _series, session_id, _people = seminar
    page = phone
    open_roster_and_go_offline(page, live_server, trainer, session_id)
    roster_row(page, "Ayşe Yılmaz").get_by_text("anwesend", exact=True).tap()
    expect(page.locator(".offline-banner")).to_contain_text("1 Änderung wartet")
    page.goto(f"{live_server}/training")
    with app.app_context():
        db.session.delete(db.session.get(Session, session_id))
        db.session.commit()
    page.context.set_offline(False)
    item = page.locator(".offline-refused__item")
    expect(item).to_contain_text("Grund: Diesen Termin gibt es nicht.", timeout=15_000)
    # Its roster would not open any more: no link, only "Verwerfen".
    expect(item.get_by_role("link")).to_have_count(0)
    expect(item.get_by_role("button", name=re.compile("^Verwerfen: "))).to_be_visible()
