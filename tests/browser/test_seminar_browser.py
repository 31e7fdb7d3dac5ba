"""In the seminar room: the roll call survives a network loss, a reload and a closed tab and
arrives once; a second trainer's save in between opens the conflict view; participants check
in through the rotating QR code; the save bar never covers the focused control."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.conftest import assert_accessible, eventually, screenshot, sign_in
from tests.functional.test_checkin import make_running, token_at
from tests.support import bearer
from wirlearn.attendance.models import Attendance
from wirlearn.audit.models import AuditEvent
from wirlearn.extensions import db
from wirlearn.programme.models import Session

pytestmark = pytest.mark.browser


@pytest.fixture
def seminar(app, factory, trainer, other_trainer):
    """A session running now (trained by both trainers), five participants."""
    people = [
        factory.user("coordinator", name="Ayşe Yılmaz", region="Darmstadt"),
        factory.user("coordinator", name="Đorđe Petrović", region="Kassel"),
        factory.user("coordinator", name="Nguyễn Thị Hương", region="Wiesbaden"),
        factory.user("coordinator", name="Jürgen Weiß", region="Fulda"),
        factory.user("coordinator", name="Maria Schmidt", region="Gießen"),
    ]
    series = factory.series(
        trainers=(trainer, other_trainer),
        coordinators=tuple(people),
        days=((0,), (-30,)),
        title="Change-Manager/in – Jahrgang 2026",
    )
    session_id = series.sessions_by_module[series.module_ids[0]][0]
    make_running(app, session_id, started_minutes_ago=5)
    return series, session_id, people


def roster_row(page, name):
    return page.get_by_role("group", name=re.compile(re.escape(name)))


def saved_statuses(app, session_id):
    with app.app_context():
        rows = db.session.execute(
            select(Attendance.enrollment_id, Attendance.status).where(Attendance.session_id == session_id)
        ).all()
        events = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.session_id == session_id))
        version = db.session.get(Session, session_id).attendance_version
    return sorted(status for _e, status in rows), events, version


def open_roster_and_go_offline(page, live_server, trainer, session_id):
    sign_in(page, live_server, trainer)
    # The start page registers the worker; it reports back once the rosters are kept.
    expect(page.locator("html[data-offline-ready]")).to_have_count(1, timeout=15_000)
    url = f"{live_server}/termine/{session_id}/anwesenheit"
    page.goto(url)
    expect(page.get_by_text("Noch nicht erfasst.")).to_be_visible()
    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", name="Grundlagen")).to_be_visible()
    return url


def mark_three(page):
    roster_row(page, "Ayşe Yılmaz").get_by_text("anwesend", exact=True).tap()
    roster_row(page, "Đorđe Petrović").get_by_text("verspätet", exact=True).tap()
    roster_row(page, "Jürgen Weiß").get_by_text("entschuldigt", exact=True).tap()
    page.get_by_label("Notiz zu Jürgen Weiß").fill("Krank gemeldet")


def test_roll_call_survives_network_loss_reload_and_closed_tab(app, live_server, browser, trainer, seminar):
    _series, session_id, _people = seminar
    from tests.browser.conftest import TABLET

    context = browser.new_context(locale="de-DE", **TABLET)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        url = open_roster_and_go_offline(page, live_server, trainer, session_id)
        banner = page.locator(".offline-banner")
        expect(banner).to_contain_text("Offline")
        mark_three(page)
        expect(banner).to_have_text(re.compile("Offline – 3 Änderungen warten auf Übertragung"))
        page.get_by_role("button", name="Anwesenheit speichern").click()  # offline: kept, not sent
        expect(page.locator(".roster-offline-note")).to_contain_text("auf diesem Gerät gespeichert")
        assert_accessible(page, "offline roster")
        screenshot(page, "roster-offline")
        page.close()

        # A new tab, still without a network: the page and the marks are there.
        page = context.new_page()
        page.goto(url)
        expect(page.locator(".offline-banner")).to_have_text(re.compile("Offline – 3 Änderungen"))
        expect(roster_row(page, "Đorđe Petrović").get_by_label("verspätet", exact=True)).to_be_checked()
        expect(roster_row(page, "Ayşe Yılmaz").get_by_label("anwesend", exact=True)).to_be_checked()
        expect(page.get_by_label("Notiz zu Jürgen Weiß")).to_have_value("Krank gemeldet")
        assert saved_statuses(app, session_id) == ([], 0, 0)

        # The network comes back: sent once, the page shows the saved list.
        context.set_offline(False)
        expect(page.get_by_text(re.compile("Zuletzt geändert von Tina Trainer am"))).to_be_visible(timeout=15_000)
        expect(roster_row(page, "Jürgen Weiß").get_by_label("entschuldigt", exact=True)).to_be_checked()
        assert saved_statuses(app, session_id) == (["excused", "late", "present"], 3, 1)
        # Opening it again later sends nothing twice.
        page.reload()
        page.wait_for_timeout(500)
        assert saved_statuses(app, session_id) == (["excused", "late", "present"], 3, 1)
        expect(page.locator("html")).to_have_attribute("data-offline-pending", "0")
    finally:
        context.close()


def test_marks_survive_a_browser_restart(app, live_server, browser, trainer, seminar, tmp_path):
    """A real profile on disk: the browser is closed with marks waiting and started again."""
    _series, session_id, _people = seminar
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, TABLET

    def start(offline: bool):
        context = browser.browser_type.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            locale="de-DE",
            offline=offline,
            **TABLET,
        )
        context.set_default_timeout(10_000)
        return context

    context = start(offline=False)
    page = context.pages[0] if context.pages else context.new_page()
    url = open_roster_and_go_offline(page, live_server, trainer, session_id)
    mark_three(page)
    expect(page.locator(".offline-banner")).to_have_text(re.compile("Offline – 3 Änderungen"))
    context.close()

    context = start(offline=True)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(url)
        expect(roster_row(page, "Đorđe Petrović").get_by_label("verspätet", exact=True)).to_be_checked()
        expect(page.locator(".offline-banner")).to_have_text(re.compile("Offline – 3 Änderungen"))
        context.set_offline(False)
        # The sign-in may have ended with the browser; then the banner asks for it and signing in sends.
        page.goto(f"{live_server}/anmelden")
        if page.get_by_label("E-Mail-Adresse").count():
            sign_in(page, live_server, trainer)
        page.goto(url)
        expect(page.get_by_text(re.compile("Zuletzt geändert von Tina Trainer am"))).to_be_visible(timeout=15_000)
        assert saved_statuses(app, session_id) == (["excused", "late", "present"], 3, 1)
    finally:
        context.close()


def test_signing_out_clears_the_device(live_server, new_page, trainer, seminar):
    _series, session_id, _people = seminar
    page = new_page("phone")
    sign_in(page, live_server, trainer)
    expect(page.locator("html[data-offline-ready]")).to_have_count(1, timeout=15_000)
    kept = page.evaluate("caches.open('wirlearn-offline-v1').then(c => c.keys()).then(k => k.map(r => new URL(r.url).pathname))")
    assert "/training" in kept and f"/termine/{session_id}/anwesenheit" in kept
    assert page.evaluate("indexedDB.databases().then(d => d.map(x => x.name))") == ["wirlearn-offline"]
    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_text("Sie haben sich abgemeldet.")).to_be_visible()
    # The browser clears the device on the sign-out answer; wait for it rather than look once.
    assert eventually(page, "caches.keys()") == []
    assert eventually(page, "navigator.serviceWorker.getRegistrations().then(r => r.length)", 0) == 0
    assert eventually(page, "indexedDB.databases().then(d => d.map(x => x.name))") == []


def test_a_save_by_another_trainer_meanwhile_opens_the_conflict_view(app, live_server, browser, trainer, other_trainer, seminar):
    _series, session_id, people = seminar
    from tests.browser.conftest import TABLET

    context = browser.new_context(locale="de-DE", **TABLET)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        open_roster_and_go_offline(page, live_server, trainer, session_id)
        mark_three(page)
        expect(page.locator(".offline-banner")).to_have_text(re.compile("3 Änderungen"))

        # Otto saves Đorđe as excused while Tina is offline.
        api = app.test_client()
        otto = api.put(
            f"/api/v1/sessions/{session_id}/attendance",
            headers=bearer(api, other_trainer),
            json={"version": 0, "records": [{"user_id": people[1].id, "status": "excused", "note": "Attest"}]},
        )
        assert otto.status_code == 200

        context.set_offline(False)
        alert = page.locator("#konflikt")
        expect(alert).to_contain_text("Die Liste wurde inzwischen von Otto Fremdtrainer geändert.", timeout=15_000)
        # Nothing silently overwritten: Otto's row stands, Tina's marks wait in the form.
        assert saved_statuses(app, session_id)[0] == ["excused"]
        expect(roster_row(page, "Đorđe Petrović").get_by_label("verspätet", exact=True)).to_be_checked()
        expect(roster_row(page, "Ayşe Yılmaz").get_by_label("anwesend", exact=True)).to_be_checked()
        expect(roster_row(page, "Đorđe Petrović").get_by_text(re.compile("Auch geändert von Otto Fremdtrainer"))).to_be_visible()
        screenshot(page, "roster-offline-conflict")
        # She decides and saves; the device holds nothing any more.
        page.get_by_role("button", name="Anwesenheit speichern").click()
        expect(page.get_by_text("Anwesenheit gespeichert (3 geänderte Einträge).")).to_be_visible()
        assert saved_statuses(app, session_id)[0] == ["excused", "late", "present"]
        expect(page.locator("html")).to_have_attribute("data-offline-pending", "0")
    finally:
        context.close()


def test_participant_checks_in_with_the_rotating_code(app, live_server, new_page, trainer, seminar):
    _series, session_id, people = seminar
    tablet = new_page("tablet")
    sign_in(tablet, live_server, trainer)
    tablet.goto(f"{live_server}/termine/{session_id}/anwesenheit")
    tablet.get_by_role("link", name="Selbst-Check-in").click()
    expect(tablet.get_by_role("img", name=re.compile("QR-Code"))).to_be_visible()
    waiting = tablet.locator("[data-checkin-waiting]")
    expect(waiting).to_contain_text("Ayşe Yılmaz")
    assert_accessible(tablet, "self check-in (trainer)")
    code_url = tablet.locator("[data-checkin-url]").get_attribute("href")
    # The code on the screen carries that address (decoded from the pixels, as a phone would).
    import io

    import zxingcpp
    from PIL import Image

    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(tablet.locator("[data-checkin-qr]").screenshot())))
    assert [code.text for code in decoded] in ([code_url], [tablet.locator("[data-checkin-url]").get_attribute("href")])
    found = re.search(rf"/c/{session_id}/[A-Za-z0-9_-]{{16}}$", code_url)
    assert found
    code_url = live_server + found.group(0)  # BASE_URL of the tests is not this server

    phone = new_page("phone")
    phone.goto(code_url)
    # Not signed in: the sign-in page first, then back to the check-in.
    sign_form = phone.get_by_label("E-Mail-Adresse")
    sign_form.fill(people[0].email)
    phone.get_by_label("Passwort").fill(people[0].password)
    phone.get_by_role("button", name="Anmelden").click()
    phone.get_by_role("button", name="Anwesenheit bestätigen").click()
    expect(phone.get_by_text("Sie sind eingecheckt: anwesend.")).to_be_visible()
    tablet_roster = new_page("tablet")
    sign_in(tablet_roster, live_server, trainer)
    tablet_roster.goto(f"{live_server}/termine/{session_id}/anwesenheit")
    expect(tablet_roster.get_by_text("Liste noch nicht gespeichert; 1 Person per Selbst-Check-in erfasst.")).to_be_visible()
    expect(roster_row(tablet_roster, "Ayşe Yılmaz").get_by_label("anwesend", exact=True)).to_be_checked()
    assert_accessible(phone, "self check-in (participant)")
    screenshot(phone, "checkin-participant")

    # The trainer's live list shows her within one refresh.
    checked_in = tablet.locator("[data-checkin-in]")
    expect(checked_in).to_contain_text("Ayşe Yılmaz", timeout=8_000)
    expect(waiting).not_to_contain_text("Ayşe Yılmaz")
    expect(tablet.locator("[data-checkin-count]")).to_have_text("1 von 5 erfasst")
    screenshot(tablet, "checkin-trainer")

    # A 45-second-old photo of the code is refused.
    late_phone = new_page("phone")
    late_phone.goto(f"{live_server}/c/{session_id}/{token_at(app, session_id, 3)}")
    expect(late_phone.get_by_text(re.compile("Check-in-Code ist abgelaufen"))).to_be_visible()


# Resolves once the page has not scrolled for ten animation frames (a smooth scroll moves on
# every frame until it ends).
SCROLL_SETTLED = """() => new Promise((resolve) => {
  let last = null, still = 0;
  const tick = () => {
    still = window.scrollY === last ? still + 1 : 0;
    last = window.scrollY;
    if (still >= 10) resolve(); else requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})"""


@pytest.mark.parametrize("device", ["phone", "tablet"])
def test_focused_control_is_never_under_the_save_bar(live_server, new_page, trainer, seminar, device):
    _series, session_id, _people = seminar
    page = new_page(device)
    sign_in(page, live_server, trainer)
    page.goto(f"{live_server}/termine/{session_id}/anwesenheit")
    roster_row(page, "Ayşe Yılmaz").get_by_label("anwesend", exact=True).focus()
    covered = []
    for _step in range(14):
        page.keyboard.press("Tab")
        page.evaluate(SCROLL_SETTLED)  # KERN scrolls smoothly
        box = page.evaluate(
            """() => {
              const el = document.activeElement;
              const bar = document.querySelector('.roster-actions');
              if (!el || el === document.body || bar.contains(el)) return null;
              const shown = el.type === 'radio' ? el.nextElementSibling : el;
              const r = shown.getBoundingClientRect();
              const b = bar.getBoundingClientRect();
              return {name: el.id || el.name || el.textContent.trim(), covered: r.bottom > b.top && r.top < b.bottom};
            }"""
        )
        if box and box["covered"]:
            covered.append(box)
    assert covered == []
    # Enter in a note field does not send the whole list.
    page.get_by_label("Notiz zu Maria Schmidt").fill("kommt später")
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    expect(page.get_by_text("Noch nicht erfasst.")).to_be_visible()
